-- name: record_verify
-- Records a finished verify run (see 0007_verify_runs.sql); started_at is in
-- milliseconds since the epoch. INSERT ... SELECT, because query parameters
-- are substituted in a SELECT but not in a VALUES list.
INSERT INTO verify_runs (from_block, to_block, problems, started_at)
SELECT {from:UInt64}, {to:UInt64}, {problems:UInt64}, fromUnixTimestamp64Milli(toInt64({started_ms:UInt64}), 'UTC');
