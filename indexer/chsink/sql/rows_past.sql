-- name: rows_past
-- Whether any row exists at or past block {from:UInt64}: a crashed writer's
-- leftovers that a follower must remove before it resumes.
SELECT
    (SELECT count() FROM blocks WHERE number >= {from:UInt64})
  + (SELECT count() FROM transactions WHERE block_number >= {from:UInt64})
  + (SELECT count() FROM logs WHERE block_number >= {from:UInt64})
  + (SELECT count() FROM withdrawals WHERE block_number >= {from:UInt64})
  + (SELECT count() FROM token_transfers WHERE block_number >= {from:UInt64})
  + (SELECT count() FROM traces WHERE block_number >= {from:UInt64})
  + (SELECT count() FROM address_first_seen WHERE first_block >= {from:UInt64});
