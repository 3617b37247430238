-- name: forget_days
-- Drops the cached figures of the days from {from:Date} on, for when the
-- address tables change under blocks that did not (a rebuild).
DELETE FROM _daily_rollup_v2 WHERE day >= {from:Date};
