// Package queries holds ethidx's saved SQL: the figures analysts quote
// (daily active and new addresses, transactions, month-over-month growth)
// and a few more they reach for (fees, blobs, deployments, top contracts).
//
// Each saved query is one embedded .sql file whose header says what it
// computes, exactly, and which parameters it takes. Install creates them in
// ClickHouse as views with stable column names, so a BI tool and `ethidx
// query` read the same SQL; Run executes one and renders it as a table,
// CSV, TSV or JSON.
//
// The address figures are the only expensive ones. The day cache (package
// daycache) keeps them per complete day; the views use a cached day only
// while the blocks it was computed from are unchanged, so every figure
// stays exact under re-inserts, reorgs and late backfills whether or not
// the cache is fresh (see schema/0008_day_cache.sql).
package queries
