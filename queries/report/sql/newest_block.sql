-- name: newest_block
-- The timestamp of the newest stored block, for the report's latest month:
-- max(number) comes from part metadata, the row from the primary key.
SELECT timestamp AS newest FROM blocks
WHERE number = (SELECT max(number) FROM blocks) LIMIT 1;
