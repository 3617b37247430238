-- name: daily_activity
-- description: Per UTC day: transactions, active addresses, active senders, new addresses, with coverage.
-- params: from Date = 1970-01-01 (first day), to Date = 2105-12-31 (last day)
-- views: daily_activity_between(from, to); daily_activity (every day)
--
-- One row per UTC day in [from, to] with at least one stored block.
--
--   day                  UTC date of the block timestamp; the genesis block
--                        (timestamp 0 on mainnet) counts on the day of
--                        block 1, so no 1970 day appears (README.md)
--   complete             1 when every block of the day is stored (no gap
--                        inside the day, and the blocks just before and
--                        after it are stored); figures of a day with 0 are
--                        those of its stored blocks only
--   blocks               stored blocks that day
--   tx_count             every transaction in the day's blocks, failed too
--   tx_success           transactions with receipt status 1 (transactions
--                        before Byzantium have no status and are not
--                        counted here)
--   active_addresses     distinct addresses that were the sender, the
--                        recipient (`to`) or the created contract of a
--                        top-level transaction that day
--   active_senders       distinct senders that day
--   new_addresses        active addresses whose first appearance (same
--                        roles) in the indexed history is that day
--   new_addresses_exact  1 when every block from genesis through the day is
--                        stored; with 0, history before the index's start
--                        is unknown and new_addresses counts addresses new
--                        to the index, an overcount
--   contract_creations   top-level transactions that created a contract
--                        (a failed creation creates nothing)
--
-- The same day under the other definitions (README.md, Definitions):
--   new_senders          senders whose first transaction as sender in the
--                        indexed history is that day (with active_senders:
--                        the senders definition)
--   active_all_parties   distinct active addresses plus the from and to of
--                        the day's token transfers of non-zero amount and,
--                        in blocks loaded with --traces, of its internal
--                        value transfers (schema/0015_traces.sql), never
--                        the zero address
--   new_all_parties      those whose first appearance in any of these roles
--                        is that day
-- new_addresses_exact says for every definition whether "new" is exact.
--
-- Exact under re-inserts and reorgs: blocks are read with FINAL and the
-- address tables are grouped by their key (see _daily).
SELECT
    day,
    complete,
    blocks,
    tx_count,
    tx_success,
    active_addresses,
    active_senders,
    new_addresses,
    toUInt8(complete = 1 AND from_genesis = 1) AS new_addresses_exact,
    contract_creations,
    new_senders,
    active_all_parties,
    new_all_parties
FROM _daily(from = {from:Date}, to = {to:Date})
ORDER BY day
