-- name: mark_done
-- Records that every block of a range is stored; written
-- only after the range's rows (see Sink.MarkDone).
INSERT INTO ranges_done (from_block, to_block) VALUES (?, ?);
