-- name: daily_activity
-- description: Per UTC day: transactions, active addresses, active senders, new addresses, with coverage.
-- params: from Date = 1970-01-01 (first day), to Date = 2105-12-31 (last day)
-- views: daily_activity_between(from, to); daily_activity (every day)
--
-- One row per UTC day in [from, to] with at least one stored block.
--
--   day                  UTC date of the block timestamp
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
--
-- Exact under re-inserts and reorgs: blocks are read with FINAL and the
-- address tables are grouped by their key (see _daily_addresses).
SELECT
    b.day AS day,
    b.complete AS complete,
    b.blocks AS blocks,
    b.tx_count AS tx_count,
    b.tx_success AS tx_success,
    a.active_addresses AS active_addresses,
    a.active_senders AS active_senders,
    a.new_addresses AS new_addresses,
    toUInt8(b.complete = 1 AND b.from_genesis = 1) AS new_addresses_exact,
    b.contract_creations AS contract_creations
FROM _daily_blocks(from = {from:Date}, to = {to:Date}) AS b
LEFT JOIN _daily_addresses(from = {from:Date}, to = {to:Date}) AS a ON a.day = b.day
ORDER BY day
