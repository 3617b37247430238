-- The embedded engine's settings for loading, applied by every process
-- that opens a data directory, each setting once per table (a value set by
-- hand since stays; schema/tuning.go). A ClickHouse server's operator
-- chooses their own (README, "A real ClickHouse server").
--
-- Not here: auto_statistics_types = '' (no column statistics) saves 0.27 s
-- of a 1,500-block load's merges, but on the bench's mainnet-scale month
-- it made the uncached Refresh of every day 2.5x slower (63 s -> 157 s):
-- the engine's plans use them.
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

ALTER TABLE transactions MODIFY SETTING min_bytes_for_wide_part = 134217728, merge_selector_base = 10;

ALTER TABLE logs MODIFY SETTING min_bytes_for_wide_part = 134217728, merge_selector_base = 10;
