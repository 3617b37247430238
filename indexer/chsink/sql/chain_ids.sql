-- name: chain_ids
-- Chain ids recorded in this database (one, unless something went wrong).
SELECT DISTINCT chain_id FROM chain ORDER BY chain_id;
