-- name: views_installed
-- The saved queries' views an ethidx binary installed, by a hash of the
-- statements it ran. Every start used to run them all again (about 25
-- CREATE OR REPLACE VIEW; on a cluster each is distributed DDL that waits
-- for every active host); now a start skips them while the hash is
-- the newest recorded (an older binary started again after a newer one
-- installs its own) and every view exists. One row per set of definitions.
CREATE TABLE IF NOT EXISTS _views_installed
(
    hash         String,
    installed_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(installed_at)
ORDER BY hash;
