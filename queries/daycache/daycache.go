// Package daycache is the day cache: the per-day address figures, the
// only expensive ones, computed once per complete day and kept in
// _daily_rollup_v2 (schema/0008_day_cache.sql, now 0014_definitions.sql)
// under the block fingerprint they were computed from. The saved queries'
// views (queries/install/03_daily_addresses.sql) read a cached day only
// while its blocks are unchanged, so the cache makes reads fast and never
// changes a figure. Here is all that writes, drops and inspects it; its
// statements are in sql/.
package daycache

import (
	"context"
	"embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/schema"
)

// DB is what the cache needs of a connection; a clickhouse-go connection
// and queries.DB have it.
type DB interface {
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
	Select(ctx context.Context, dest any, query string, args ...any) error
	Exec(ctx context.Context, query string, args ...any) error
	PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error)
}

//go:embed sql/*.sql
var files embed.FS

// statement returns the single statement of sql/name.sql.
func statement(name string) string {
	body, err := files.ReadFile("sql/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("daycache: no statement %q", name)) // a typo in a constant; tests catch it
	}
	stmts := schema.SplitStatements(string(body))
	if len(stmts) != 1 {
		panic(fmt.Sprintf("daycache: sql/%s.sql has %d statements, want 1", name, len(stmts)))
	}
	return strings.TrimSpace(stmts[0])
}

// A refresh computes consecutive stale days together, up to these bounds.
// Looking up new addresses costs one pass over address_first_seen whatever
// the number of days, so chunks are large; memory grows with the distinct
// addresses of the chunk's days (about 40 MB a day at mainnet's 600k),
// which the transaction bound keeps near 1.5 GB however quiet the days.
const (
	refreshMaxDays = 366
	refreshMaxTx   = 50_000_000
)

// Refresh computes and caches the address figures of every complete day
// whose cached row is missing or no longer applies, and returns how many
// days it cached. Views are exact without it; it makes them fast. ethidx
// calls it after a backfill and every --refresh while following; it reads
// the blocks table once to find the stale days. RefreshRange limits that
// to some days.
//
// Each day's cache row records the block fingerprint read before the
// figures are computed, and is written only if the same fingerprint is
// read again after them. If the blocks change in between (a reorg, a
// backfill of earlier history), the row is not written or never matches,
// and the views keep computing that day live until the next Refresh: a
// race costs speed, not exactness. (What this cannot see is a rewind and
// the rewrite of identical blocks completing entirely between the two
// reads of one chunk.)
func Refresh(ctx context.Context, db DB) (int, error) {
	return RefreshRange(ctx, db, time.Unix(0, 0), time.Date(2105, 12, 31, 0, 0, 0, 0, time.UTC))
}

// Forget drops the cached figures of the UTC days from on, for when the
// address tables change under blocks that did not (a rebuild of the
// derived tables): the day fingerprints would not notice that.
func Forget(ctx context.Context, db DB, from time.Time) error {
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"from": from.UTC().Format(time.DateOnly)}))
	if err := db.Exec(ctx, statement("forget_days")); err != nil {
		return fmt.Errorf("dropping cached days from %s: %w", from.UTC().Format(time.DateOnly), err)
	}
	return nil
}

// RefreshRange is Refresh for the UTC days from through to.
func RefreshRange(ctx context.Context, db DB, from, to time.Time) (int, error) {
	stale, err := staleDays(ctx, db, from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly))
	if err != nil {
		return 0, err
	}
	cached := 0
	for len(stale) > 0 {
		n, tx := 1, stale[0].TxCount
		for n < len(stale) && n < refreshMaxDays && tx+stale[n].TxCount <= refreshMaxTx &&
			stale[n].Day.Equal(stale[n-1].Day.AddDate(0, 0, 1)) {
			tx += stale[n].TxCount
			n++
		}
		k, err := refreshDays(ctx, db, stale[:n])
		cached += k
		if err != nil {
			return cached, err
		}
		stale = stale[n:]
	}
	return cached, nil
}

// dayBlocks is a day's block fingerprint, as _daily_cache reports it.
type dayBlocks struct {
	Day         time.Time `ch:"day"`
	FirstBlock  uint64    `ch:"first_block"`
	LastBlock   uint64    `ch:"last_block"`
	Blocks      uint64    `ch:"blocks"`
	Fingerprint uint64    `ch:"fingerprint"`
	PriorBlocks uint64    `ch:"prior_blocks"`
	TxCount     uint64    `ch:"tx_count"`
}

// sameBlocks says whether two reads of a day found the same blocks.
func (d dayBlocks) sameBlocks(o dayBlocks) bool {
	return d.FirstBlock == o.FirstBlock && d.LastBlock == o.LastBlock && d.Blocks == o.Blocks &&
		d.Fingerprint == o.Fingerprint && d.PriorBlocks == o.PriorBlocks
}

func staleDays(ctx context.Context, db DB, from, to string) ([]dayBlocks, error) {
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"from": from, "to": to}))
	rows, err := db.Query(ctx, statement("stale_days"))
	if err != nil {
		return nil, fmt.Errorf("finding days to cache: %w", err)
	}
	defer rows.Close()
	var out []dayBlocks
	for rows.Next() {
		var d dayBlocks
		if err := rows.ScanStruct(&d); err != nil {
			return nil, fmt.Errorf("finding days to cache: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// txRowsWhole reports whether every transaction the day's block rows count
// is stored (counted with FINAL, so duplicates not yet merged away cannot
// hide a loss).
func txRowsWhole(ctx context.Context, db DB, d dayBlocks) (bool, error) {
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"lo": strconv.FormatUint(d.FirstBlock, 10), "hi": strconv.FormatUint(d.LastBlock, 10)}))
	var n []struct {
		N uint64 `ch:"n"`
	}
	if err := db.Select(qctx, &n, statement("day_tx_rows")); err != nil {
		return false, fmt.Errorf("counting the stored transactions of %s: %w", d.Day.Format(time.DateOnly), err)
	}
	if len(n) != 1 {
		return false, fmt.Errorf("counting the stored transactions of %s: %d rows", d.Day.Format(time.DateOnly), len(n))
	}
	return n[0].N >= d.TxCount, nil
}

// refreshDays caches consecutive days and returns how many it cached.
func refreshDays(ctx context.Context, db DB, days []dayBlocks) (int, error) {
	from, to := days[0].Day.Format(time.DateOnly), days[len(days)-1].Day.Format(time.DateOnly)
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"from": from, "to": to}))
	rows, err := db.Query(qctx, statement("day_figures"))
	if err != nil {
		return 0, fmt.Errorf("computing days %s..%s: %w", from, to, err)
	}
	type figures struct{ active, senders, new, newSenders, activeAll, newAll uint64 }
	got := map[string]figures{}
	for rows.Next() {
		var (
			day time.Time
			f   figures
		)
		if err := rows.Scan(&day, &f.active, &f.senders, &f.new, &f.newSenders, &f.activeAll, &f.newAll); err != nil {
			rows.Close()
			return 0, fmt.Errorf("computing days %s..%s: %w", from, to, err)
		}
		got[day.Format(time.DateOnly)] = f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("computing days %s..%s: %w", from, to, err)
	}
	// The blocks again, after the figures: a rewind removes a day's blocks
	// before its address rows and writes them back in the other order, so
	// figures read while it ran come with blocks that changed between the
	// two reads, and are not cached under either.
	after, err := staleDays(ctx, db, from, to)
	if err != nil {
		return 0, err
	}
	still := map[string]dayBlocks{}
	for _, d := range after {
		still[d.Day.Format(time.DateOnly)] = d
	}
	batch, err := db.PrepareBatch(ctx, statement("cache_days"))
	if err != nil {
		return 0, fmt.Errorf("caching days %s..%s: %w", from, to, err)
	}
	defer batch.Abort()
	n := 0
	for _, d := range days {
		f, ok := got[d.Day.Format(time.DateOnly)]
		if !ok || !d.sameBlocks(still[d.Day.Format(time.DateOnly)]) {
			continue // its blocks changed meanwhile (a rewind): nothing to cache
		}
		if whole, err := txRowsWhole(ctx, db, d); err != nil {
			return 0, err
		} else if !whole {
			// Its transactions are not all stored (a part lost on disk):
			// figures computed from them would be low, and cached under
			// block fingerprints that do not see the loss.
			continue
		}
		if err := batch.Append(d.Day, d.FirstBlock, d.LastBlock, d.Blocks, d.Fingerprint, d.PriorBlocks, f.active, f.senders, f.new,
			f.newSenders, f.activeAll, f.newAll); err != nil {
			return 0, fmt.Errorf("caching days %s..%s: %w", from, to, err)
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	if err := batch.Send(); err != nil {
		return 0, fmt.Errorf("caching days %s..%s: %w", from, to, err)
	}
	return n, nil
}

// DropGenesisAlone deletes cached days that held block 0 alone. Before the
// genesis rule (see queries/install/02_daily_blocks.sql), mainnet's block 0,
// stamped 1970-01-01, made a day of its own, which Refresh cached; under
// the rule block 0 shares block 1's day, so no such day exists any more.
// The row changed no figure (views only read cached rows of days that
// exist), but it was a 1970 row in the cache. Counting first keeps the
// usual start free of a mutation.
func DropGenesisAlone(ctx context.Context, db DB) error {
	var n []struct {
		N uint64 `ch:"n"`
	}
	if err := db.Select(ctx, &n, statement("genesis_alone_count")); err != nil {
		return fmt.Errorf("reading the cached genesis-only days: %w", err)
	}
	if len(n) == 0 || n[0].N == 0 {
		return nil
	}
	if err := db.Exec(ctx, statement("genesis_alone_drop")); err != nil {
		return fmt.Errorf("dropping the cached genesis-only day: %w", err)
	}
	return nil
}

// Coverage is the state of the day cache.
type Coverage struct {
	// CachedDays rows are in the cache, for days First through Last.
	CachedDays  uint64
	First, Last time.Time
	// With Validity (see ReadValidity): the days that have a stored
	// block, the complete ones, and those whose cached row still applies,
	// so the views read them from the cache.
	Validity     bool
	StoredDays   uint64
	CompleteDays uint64
	ValidDays    uint64
	// Missing is set when the cache table does not exist (the saved
	// queries were never installed in this database).
	Missing bool
}

// ReadCoverage reads how many days the cache holds, and which. It reads
// the cache table only (one small row per day), so it is cheap.
func ReadCoverage(ctx context.Context, db DB) (Coverage, error) {
	var c Coverage
	if err := queryRow(ctx, db, statement("coverage"), &c.CachedDays, &c.First, &c.Last); err != nil {
		return c, fmt.Errorf("reading the day cache: %w", err)
	}
	if c.CachedDays == 0 {
		c.First, c.Last = time.Time{}, time.Time{} // min/max of nothing is 1970-01-01
	}
	return c, nil
}

// ReadValidity adds to c how many stored days there are, how many are
// complete and how many cached rows still apply. It reads one row per
// stored block: `ethidx status` asks it, a metrics scrape does not.
func (c *Coverage) ReadValidity(ctx context.Context, db DB) error {
	if err := queryRow(ctx, db, statement("valid"), &c.StoredDays, &c.CompleteDays, &c.ValidDays); err != nil {
		return fmt.Errorf("comparing stored days with the day cache: %w", err)
	}
	c.Validity = true
	return nil
}

// queryRow scans the one row of a query into dest.
func queryRow(ctx context.Context, db DB, query string, dest ...any) error {
	rows, err := db.Query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("no row")
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Err()
}
