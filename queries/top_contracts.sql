-- name: top_contracts
-- description: The most-called addresses over a day range: calls (transactions with calldata), failures, distinct callers.
-- params: from Date = 1970-01-01 (first day), to Date = 2105-12-31 (last day), limit UInt32 = 25 (rows)
-- views: top_contracts_between(from, to, limit); top_contracts (the newest 7 days, top 25)
-- all: from = (SELECT toDate(timestamp) - 6 FROM blocks ORDER BY number DESC LIMIT 1), to = (SELECT toDate(timestamp) FROM blocks ORDER BY number DESC LIMIT 1), limit = 25
--
-- Top `limit` recipients of top-level transactions with non-empty input in
-- the blocks of UTC days [from, to], by number of such transactions. On
-- mainnet these are contracts (routers, tokens, bridges); plain ETH
-- transfers (empty input) are left out. Internal calls are not seen: only
-- the transaction's `to` counts.
--
--   address         0x-hex recipient
--   calls           transactions to it with calldata, failed ones too
--   failed          of which status 0
--   callers         distinct senders of those transactions
--   share_pct       calls as a percentage of all transactions with calldata
--                   and a recipient in the range
--   first_block     first block in the range with such a call
--   last_block      last one
--
-- top_contracts, the plain view, is the top 25 over the newest 7 UTC days
-- of the index: the day of the highest stored block and the six before
-- it (found by reading the blocks table backwards from its highest number,
-- one row). It is not all history, which would scan every transaction
-- ever stored; use top_contracts_between for any other range.
--
-- Reads transactions (FINAL) for the range's blocks only, selected by block
-- number, the table's key. Unlike the daily views it scans every
-- transaction of the range: about a second per mainnet day-month here.
SELECT
    concat('0x', lower(hex(to))) AS address,
    count() AS calls,
    countIf(status = 0) AS failed,
    uniqExact(from) AS callers,
    round(100 * calls / sum(calls) OVER (), 3) AS share_pct,
    min(block_number) AS first_block,
    max(block_number) AS last_block
FROM transactions FINAL
WHERE block_number BETWEEN
        (SELECT min(first_block) FROM _daily_blocks(from = {from:Date}, to = {to:Date}))
    AND (SELECT max(last_block) FROM _daily_blocks(from = {from:Date}, to = {to:Date}))
  AND toDate(block_timestamp) BETWEEN {from:Date} AND {to:Date}
  AND isNotNull(to)
  AND length(input) > 0
GROUP BY to
ORDER BY calls DESC, address
LIMIT {limit:UInt32}
