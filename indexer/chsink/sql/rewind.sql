-- name: rewind
-- Removes every row of blocks numbered {from:UInt64} and above, for a reorg
-- or for rows a crashed writer left past its last completed range.
-- Progress goes first so it never claims a block being removed, then the
-- blocks rows (each one marks its block complete), then the data and the token transfers derived from it, then the
-- derived address rollups (rows whose first appearance is at or past the
-- fork; see 0002_address_rollups.sql for why that is exact).
-- A completed range that straddles the cut keeps its part below it: that
-- part is recorded first, so no moment shows it as a gap.
INSERT INTO ranges_done (from_block, to_block)
SELECT from_block, {from:UInt64} - 1 FROM ranges_done FINAL
WHERE from_block < {from:UInt64} AND to_block >= {from:UInt64};
DELETE FROM ranges_done WHERE to_block >= {from:UInt64};
DELETE FROM blocks WHERE number >= {from:UInt64};
DELETE FROM transactions WHERE block_number >= {from:UInt64};
DELETE FROM logs WHERE block_number >= {from:UInt64};
DELETE FROM withdrawals WHERE block_number >= {from:UInt64};
DELETE FROM traces WHERE block_number >= {from:UInt64};
DELETE FROM token_transfers WHERE block_number >= {from:UInt64};
DELETE FROM address_activity WHERE first_block >= {from:UInt64};
DELETE FROM address_first_seen WHERE first_block >= {from:UInt64};
DELETE FROM address_first_role WHERE first_block >= {from:UInt64};
