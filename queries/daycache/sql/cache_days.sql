-- name: cache_days
-- The head of Refresh's batch insert of computed days, each under the
-- block fingerprint it was computed from.
INSERT INTO _daily_rollup_v2
    (day, first_block, last_block, blocks, fingerprint, prior_blocks, active_addresses, active_senders, new_addresses,
     new_senders, active_all_parties, new_all_parties);
