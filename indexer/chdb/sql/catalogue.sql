-- name: catalogue
-- Every name the engine can call, by kind, for the host guard: functions
-- and aggregate functions (user-defined SQL functions left out: their
-- bodies were checked when they were created), table functions, table
-- engines, database engines, dictionary sources, and the aggregate
-- combinators. A callable name catalogue.tsv does not allow is refused to
-- endpoint users, so one added by a later engine is refused until it is
-- classified. ethidx reads it only from an engine of another version than
-- the one catalogue.tsv classifies.
SELECT if(is_aggregate, 'aggregate', 'function'), name FROM system.functions WHERE origin != 'SQLUserDefined'
UNION ALL SELECT 'table_function', name FROM system.table_functions
UNION ALL SELECT 'table_engine', name FROM system.table_engines
UNION ALL SELECT 'database_engine', name FROM system.database_engines
UNION ALL SELECT 'dictionary_source', name FROM system.dictionary_sources
UNION ALL SELECT 'combinator', name FROM system.aggregate_function_combinators;
