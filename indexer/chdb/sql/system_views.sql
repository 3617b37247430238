-- name: system_views
-- The system tables an endpoint user may read, as views in a database of
-- their own (in memory: recreated at every start, so they follow the
-- engine's columns). The guard sends an endpoint statement's system.X to
-- _ethidx_system.X. Each view keeps the table's columns but empties those
-- that show the host: the data directory's absolute path, a dictionary's
-- source (a path, URL or credentials) and its last error.
CREATE DATABASE IF NOT EXISTS _ethidx_system ENGINE = Memory;
CREATE OR REPLACE VIEW _ethidx_system.databases AS SELECT * REPLACE ('' AS data_path, '' AS metadata_path) FROM system.databases;
CREATE OR REPLACE VIEW _ethidx_system.tables AS SELECT * REPLACE (CAST([], 'Array(String)') AS data_paths, '' AS metadata_path) FROM system.tables;
CREATE OR REPLACE VIEW _ethidx_system.dictionaries AS SELECT * REPLACE ('' AS source, '' AS last_exception) FROM system.dictionaries;
CREATE OR REPLACE VIEW _ethidx_system.columns AS SELECT * FROM system.columns;
CREATE OR REPLACE VIEW _ethidx_system.data_skipping_indices AS SELECT * FROM system.data_skipping_indices;
CREATE OR REPLACE VIEW _ethidx_system.functions AS SELECT * FROM system.functions;
CREATE OR REPLACE VIEW _ethidx_system.table_functions AS SELECT * FROM system.table_functions;
CREATE OR REPLACE VIEW _ethidx_system.table_engines AS SELECT * FROM system.table_engines;
CREATE OR REPLACE VIEW _ethidx_system.data_type_families AS SELECT * FROM system.data_type_families;
CREATE OR REPLACE VIEW _ethidx_system.aggregate_function_combinators AS SELECT * FROM system.aggregate_function_combinators;
CREATE OR REPLACE VIEW _ethidx_system.formats AS SELECT * FROM system.formats;
CREATE OR REPLACE VIEW _ethidx_system.settings AS SELECT * FROM system.settings;
CREATE OR REPLACE VIEW _ethidx_system.time_zones AS SELECT * FROM system.time_zones;
CREATE OR REPLACE VIEW _ethidx_system.collations AS SELECT * FROM system.collations;
CREATE OR REPLACE VIEW _ethidx_system.keywords AS SELECT * FROM system.keywords;
CREATE OR REPLACE VIEW _ethidx_system.contributors AS SELECT * FROM system.contributors;
CREATE OR REPLACE VIEW _ethidx_system.one AS SELECT * FROM system.one;
CREATE OR REPLACE VIEW _ethidx_system.numbers AS SELECT * FROM system.numbers;
CREATE OR REPLACE VIEW _ethidx_system.numbers_mt AS SELECT * FROM system.numbers_mt;
CREATE OR REPLACE VIEW _ethidx_system.zeros AS SELECT * FROM system.zeros;
CREATE OR REPLACE VIEW _ethidx_system.zeros_mt AS SELECT * FROM system.zeros_mt;
