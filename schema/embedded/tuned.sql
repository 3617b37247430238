-- The tables tuning.sql has set already (by ethidx or by hand): each
-- table is tuned once, so a value set since then stays.
SELECT name
FROM system.tables
WHERE database = currentDatabase() AND position(create_table_query, 'merge_selector_base') > 0;
