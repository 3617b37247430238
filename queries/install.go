package queries

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/schema"
	"github.com/ethidx/ethidx/sqltext"
)

// Install creates, in the connection's current database, the day cache
// table, the internal views the saved queries build on, and one view per
// saved query (plus its all-rows view). Every statement is CREATE OR
// REPLACE or IF NOT EXISTS, so installing on every start keeps the views in
// step with this binary; a start skips the statements while their hash is
// recorded in _views_installed and every view exists. It needs the schema
// migrations applied first.
//
// The views name everything they read with that database (see Qualify), so
// they answer from a connection whose current database is another one:
// `SELECT * FROM eth.daily_activity` with database=default.
func Install(ctx context.Context, db DB) error {
	var cur []struct {
		Name string `ch:"name"`
	}
	if err := db.Select(ctx, &cur, cacheSQL("current_database")); err != nil || len(cur) != 1 {
		return fmt.Errorf("installing saved queries: reading the current database: %v", err)
	}
	stmts := InstallStatements(cur[0].Name)
	hash, names := installHash(stmts)
	current, err := viewsCurrent(ctx, db, hash, names)
	if err != nil {
		return err
	}
	if !current {
		for _, stmt := range stmts {
			if err := db.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("installing saved queries: %w\nstatement: %s", err, firstLine(stmt))
			}
		}
		if err := db.Exec(ctx, cacheSQL("views_record"), hash); err != nil {
			return fmt.Errorf("installing saved queries: recording them: %w", err)
		}
	}
	return dropGenesisAlone(ctx, db)
}

// installHash is a hash of Install's statements (which name the database)
// and the names of the views they create.
func installHash(stmts []string) (string, []string) {
	h := sha256.New()
	for _, stmt := range stmts {
		h.Write([]byte(stmt))
		h.Write([]byte{0})
	}
	var names []string
	for _, stmt := range installSQL() { // the same statements, unqualified
		if m := created.FindStringSubmatch(stripLeadingComments(stmt)); m != nil {
			names = append(names, m[1])
		}
	}
	return hex.EncodeToString(h.Sum(nil)), names
}

// viewsCurrent reports whether this binary's views are installed: the
// statements' hash is recorded and every view they create exists, so a
// view dropped by hand is installed again.
func viewsCurrent(ctx context.Context, db DB, hash string, names []string) (bool, error) {
	list := make([]string, len(names))
	for i, n := range names {
		list[i] = sqltext.QuoteString(n)
	}
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"hash": hash, "names": "[" + strings.Join(list, ",") + "]"}))
	var got []struct {
		Recorded uint64 `ch:"recorded"`
		Present  uint64 `ch:"present"`
	}
	if err := db.Select(qctx, &got, cacheSQL("views_current")); err != nil || len(got) != 1 {
		return false, fmt.Errorf("installing saved queries: checking the installed views: %v", err)
	}
	return got[0].Recorded > 0 && got[0].Present == uint64(len(names)), nil
}

// dropGenesisAlone deletes cached days that held block 0 alone. Before the
// genesis rule (see install/02_daily_blocks.sql), mainnet's block 0,
// stamped 1970-01-01, made a day of its own, which Refresh cached; under
// the rule block 0 shares block 1's day, so no such day exists any more.
// The row changed no figure (views only read cached rows of days that
// exist), but it was a 1970 row in the cache. Counting first keeps the
// usual start free of a mutation.
func dropGenesisAlone(ctx context.Context, db DB) error {
	var n []struct {
		N uint64 `ch:"n"`
	}
	if err := db.Select(ctx, &n, cacheSQL("genesis_alone_count")); err != nil {
		return fmt.Errorf("installing saved queries: %w", err)
	}
	if len(n) == 0 || n[0].N == 0 {
		return nil
	}
	if err := db.Exec(ctx, cacheSQL("genesis_alone_drop")); err != nil {
		return fmt.Errorf("installing saved queries: dropping the cached genesis-only day: %w", err)
	}
	return nil
}

// InstallStatements lists Install's DDL for database, in order:
// install/*.sql by file name, then the saved queries by name (a query may
// use any view of a query sorted before it). Every statement is passed
// through Qualify.
func InstallStatements(database string) []string {
	var out []string
	for _, stmt := range installSQL() {
		out = append(out, Qualify(stmt, database))
	}
	return out
}

// installSQL is Install's DDL as written, with unqualified names.
func installSQL() []string {
	names, err := fs.Glob(files, "install/*.sql")
	if err != nil {
		panic(err) // constant pattern
	}
	var out []string
	for _, name := range names {
		body, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, schema.SplitStatements(string(body))...)
	}
	for _, q := range all {
		out = append(out, "CREATE OR REPLACE VIEW "+q.View+" AS\n"+q.SQL)
		if q.AllView != "" {
			out = append(out, allView(q))
		}
	}
	return out
}

// allView is the plain view of q: q.View over the header's `-- all:`
// arguments, or else over its parameters' defaults.
func allView(q Query) string {
	args := q.AllArgs
	if args == "" {
		var list []string
		for _, p := range q.Params {
			list = append(list, p.Name+" = "+sqltext.QuoteString(p.Default))
		}
		args = strings.Join(list, ", ")
	}
	return fmt.Sprintf("CREATE OR REPLACE VIEW %s AS\nSELECT * FROM %s(%s)", q.AllView, q.View, args)
}

// Objects returns the names of every table and view ethidx creates: the
// schema's and Install's. Qualify qualifies references to these.
func Objects() []string {
	seen := map[string]bool{}
	var out []string
	add := func(stmt string) {
		if m := created.FindStringSubmatch(stripLeadingComments(stmt)); m != nil && !seen[m[1]] {
			seen[m[1]] = true
			out = append(out, m[1])
		}
	}
	for _, m := range schema.Migrations() {
		for _, stmt := range m.Statements {
			add(stmt)
		}
	}
	for _, stmt := range installSQL() {
		add(stmt)
	}
	return out
}

var created = regexp.MustCompile(`^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TABLE|VIEW|MATERIALIZED\s+VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\b`)

// Qualify prefixes every reference in stmt to one of ethidx's tables and
// views (Objects) with database: the name a statement creates and every
// name it reads after FROM or JOIN. ClickHouse qualifies plain table names
// in a view by itself when the view is created, but not a parameterized
// view called as a table function (`FROM _daily(from = ..., to = ...)`),
// which it resolves in the reader's current database at query time; so
// without this, `SELECT * FROM eth.daily_activity` fails unless the
// connection's database is eth. Names already qualified, names of other
// objects and column names are left alone.
func Qualify(stmt, database string) string {
	known := objectSet()
	return sqltext.Qualify(stmt, database, func(name string) bool { return known[name] })
}

var objectSet = sync.OnceValue(func() map[string]bool {
	set := map[string]bool{}
	for _, name := range Objects() {
		set[name] = true
	}
	return set
})

func stripLeadingComments(stmt string) string {
	lines := strings.Split(strings.TrimSpace(stmt), "\n")
	for len(lines) > 0 && strings.HasPrefix(strings.TrimSpace(lines[0]), "--") {
		lines = lines[1:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
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
	if err := db.Exec(ctx, cacheSQL("forget_days")); err != nil {
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
	rows, err := db.Query(ctx, cacheSQL("stale_days"))
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

// cacheSQL returns the single statement of cache/name.sql: the day
// cache's own statements.
func cacheSQL(name string) string {
	body, err := files.ReadFile("cache/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("queries: no cache statement %q", name)) // a typo in a constant; tests catch it
	}
	stmts := schema.SplitStatements(string(body))
	if len(stmts) != 1 {
		panic(fmt.Sprintf("queries: cache/%s.sql has %d statements, want 1", name, len(stmts)))
	}
	return strings.TrimSpace(stmts[0])
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
	if err := db.Select(qctx, &n, cacheSQL("day_tx_rows")); err != nil {
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
	rows, err := db.Query(qctx, cacheSQL("day_figures"))
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
	batch, err := db.PrepareBatch(ctx, cacheSQL("cache_days"))
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
