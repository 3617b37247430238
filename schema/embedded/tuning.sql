-- The embedded engine's settings for loading, applied by every process
-- that opens a data directory, each setting once per table (a value set by
-- hand since stays; schema/tuning.go). A ClickHouse server's operator
-- chooses their own (README, "A ClickHouse server").
--
-- min_bytes_for_wide_part: a part under 128 MiB uncompressed is written in
-- the compact format (all columns in one file) instead of two files per
-- column stream, about 12 files per part instead of 126 for transactions.
-- A backfill batch is one such part per table, and creating inodes is a
-- large share of an insert's system time on ext4; merged parts above the
-- size are wide as before.
--
-- merge_selector_base: background merges wait for about ten parts of
-- similar size instead of five before merging them. Loading makes parts
-- with disjoint block ranges that only merges ever rewrite, and each row is
-- rewritten about once per merge level: log10 instead of log5 of the parts
-- in a partition, about 30% fewer rewrites over a million-block partition,
-- at the cost of up to twice as many parts between merges (well below the
-- engine's 1,000-part insert delay).
--
-- auto_statistics_types: by default the engine computes statistics of
-- every column of every part it writes or merges ('basic, uniq_v2': a
-- distinct-count sketch of each hash and address among them), for an
-- optimizer that ethidx's queries do not need (they read the day cache and
-- filter on the sorting key); the engine's counter of it
-- (MergeTreeDataWriterStatisticsCalculationMicroseconds) read 0.27 s for a
-- 1,500-block load, in the parts its merges write. None are computed.

ALTER TABLE transactions MODIFY SETTING min_bytes_for_wide_part = 134217728, merge_selector_base = 10, auto_statistics_types = '';

ALTER TABLE logs MODIFY SETTING min_bytes_for_wide_part = 134217728, merge_selector_base = 10, auto_statistics_types = '';

ALTER TABLE withdrawals MODIFY SETTING auto_statistics_types = '';

ALTER TABLE blocks MODIFY SETTING auto_statistics_types = '';

ALTER TABLE address_activity MODIFY SETTING auto_statistics_types = '';

ALTER TABLE address_first_seen MODIFY SETTING auto_statistics_types = '';
