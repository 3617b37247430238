-- name: valid
-- Every stored day against the day cache: days with a stored block, the
-- complete ones (every block of the day stored), and those whose cached row
-- still applies (the views read them from the cache instead of the address
-- tables). It reads one row per stored block, so `ethidx status` runs it and
-- the metrics scrape does not.
SELECT count(), countIf(complete = 1), countIf(cached = 1)
FROM _daily_cache(from = '1970-01-01', to = '2105-12-31');
