-- name: day_figures
-- The per-day address figures of {from:Date}..{to:Date}, computed live
-- from the address tables, for Refresh to cache.
SELECT day, active_addresses, active_senders, new_addresses, new_senders, active_all_parties, new_all_parties
FROM _daily(from = {from:Date}, to = {to:Date});
