-- name: drop_detached
-- Removes a detached part whose rows a repair restored. The table and part
-- names are spliced in, quoted, by Sink.DropDetached (ALTER takes no
-- parameters there).
ALTER TABLE {table} DROP DETACHED PART {part} SETTINGS allow_drop_detached = 1;
