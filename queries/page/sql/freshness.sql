-- name: freshness
-- How fresh the figures are: the newest stored block and its time (from
-- the part metadata and the key, as report's newest_block does), and the
-- last block of the completed ranges.
SELECT
    number AS newest_block,
    timestamp AS newest_time,
    (SELECT max(to_block) FROM ranges_done FINAL) AS done_through
FROM blocks
WHERE number = (SELECT max(number) FROM blocks)
LIMIT 1
