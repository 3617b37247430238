-- A read-only ClickHouse user for BI tools (Grafana, Metabase, Superset) on
-- a ClickHouse server holding ethidx's database `eth`. Run it as an admin
-- (clickhouse-client --multiquery < bi_user.sql), after replacing the
-- password. Not applied by ethidx: users belong to the server's operator.
--
-- readonly = 1: SELECT only, and no changing settings either. Some BI
-- drivers set settings per query (e.g. max_execution_time, output
-- formats); if yours fails with "Cannot modify setting in readonly mode",
-- use readonly = 2 instead: settings may change, data still cannot.
-- The limits keep one dashboard from starving the indexer.
CREATE USER IF NOT EXISTS ethidx_bi
    IDENTIFIED WITH sha256_password BY 'change-me'
    SETTINGS
        readonly = 1,
        max_execution_time = 60,
        max_memory_usage = 4000000000,
        max_result_rows = 1000000;

-- Every table and view of the index, including the saved views
-- (daily_activity, monthly_growth, ...) and the internal ones they read
-- (replace eth with your --database). The views name what they read with
-- their own database, so the user may connect to any database and read
-- them as eth.daily_activity.
GRANT SELECT ON eth.* TO ethidx_bi;
