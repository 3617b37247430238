-- The definitions TuneEmbedded checks each setting of tuning.sql against:
-- a setting a table's definition names already is left as it is.
SELECT name, create_table_query
FROM system.tables
WHERE database = currentDatabase();
