-- name: traced
-- How many of the stored blocks {from:UInt64}..{to:UInt64} were loaded
-- with --traces (0015_traces.sql: blocks.trace_count is NULL otherwise):
-- the share of the blocks whose internal value transfers all_parties counts.
SELECT count() AS blocks, countIf(isNotNull(trace_count)) AS traced
FROM blocks FINAL
WHERE number BETWEEN {from:UInt64} AND {to:UInt64};
