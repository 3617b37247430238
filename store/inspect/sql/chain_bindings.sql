-- name: chain_bindings
-- Every record of the chain this store belongs to: the chain table's rows
-- (source 'chain'; a zero genesis hash for rows older than 0012) and the
-- completion ledger's (source 'ledger'; chain id 0 for rows older than
-- 0012, or written by a sink that was never bound), and whether any block
-- or completed range is stored at all.
SELECT 'chain' AS source, chain_id, genesis_hash FROM chain GROUP BY chain_id, genesis_hash
UNION ALL
SELECT 'ledger', chain_id, genesis_hash FROM range_ledger WHERE chain_id != 0 GROUP BY chain_id, genesis_hash
UNION ALL
SELECT 'stored', toUInt64((SELECT count() FROM (SELECT 1 FROM blocks LIMIT 1)) + (SELECT count() FROM (SELECT 1 FROM ranges_done LIMIT 1))), toFixedString('', 32);
