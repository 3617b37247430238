-- name: views_current
-- Whether the views of Install's statements hashing to {hash:String} are in
-- place: the hash is the one installed last (schema/0009_views_installed.sql),
-- and each of the {names:Array(String)} views exists in this database.
SELECT
    (SELECT toUInt64(ifNull(argMax(hash, installed_at) = {hash:String}, 0)) FROM _views_installed) AS recorded,
    (SELECT count() FROM system.tables WHERE database = currentDatabase() AND has({names:Array(String)}, name)) AS present;
