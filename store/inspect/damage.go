package inspect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/cluster"
	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/sqltext"
)

// partitionBlocks is the block span of a chain table's partition
// (PARTITION BY intDiv(number, 1000000) in schema/0001_core_tables.sql).
const partitionBlocks = 1_000_000

// baseTables hold what the node sent; a loss there is repaired by loading
// the blocks again. The address tables are derived from transactions and
// repaired by rebuild.
var baseTables = map[string]bool{"blocks": true, "transactions": true, "logs": true, "withdrawals": true, "traces": true}

// Problem is one piece of lost data: a part the engine took out of service,
// or rows that the block rows say exist and do not.
type Problem struct {
	Table  string
	Part   string // the detached part's name; "" for missing rows
	Reason string // why the engine detached it, or what is short
	// Blocks is the chain range the lost rows belonged to, when known.
	Blocks indexer.Range
	Known  bool   // whether Blocks is known
	Repair string // the command that restores the rows
	// Unfinished is set for rows a stopped writer left outside every
	// completed range (not lost, but not to be counted either).
	Unfinished bool
	// Lost is set for a part that is gone altogether (see LostParts),
	// rather than detached.
	Lost bool
}

// Base reports whether the problem is in a table the node's data is
// stored in (as opposed to one derived from it).
func (p Problem) Base() bool { return baseTables[schemaTable(p.Table)] }

// schemaTable is the schema's name of a table: on a cluster the parts are
// the shard-local tables' (<table>_local).
func schemaTable(name string) string { return strings.TrimSuffix(name, cluster.LocalSuffix) }

func (p Problem) String() string {
	var b strings.Builder
	if p.Part != "" && !p.Lost {
		fmt.Fprintf(&b, "table %s: part %s is detached (%s)", p.Table, p.Part, p.Reason)
	} else {
		fmt.Fprintf(&b, "table %s: %s", p.Table, p.Reason)
	}
	if p.Known {
		fmt.Fprintf(&b, ", covering blocks %s", p.Blocks)
	}
	fmt.Fprintf(&b, "; repair: %s", p.Repair)
	return b.String()
}

// Unfinished reports whether every problem of d is an unfinished load's
// rows (which a follower's restart or a backfill of the range completes).
func (d Damage) Unfinished() bool {
	for _, p := range d {
		if !p.Unfinished {
			return false
		}
	}
	return true
}

// Damage is what CheckStore found; empty means the store is whole as far
// as its metadata and block rows can tell.
type Damage []Problem

// Base reports whether any problem is in a base table.
func (d Damage) Base() bool {
	for _, p := range d {
		if p.Base() {
			return true
		}
	}
	return false
}

// Err returns d as an error naming every problem, or nil.
func (d Damage) Err() error {
	if len(d) == 0 {
		return nil
	}
	lines := make([]string, len(d))
	for i, p := range d {
		lines[i] = "  " + p.String()
	}
	return &DamageError{Damage: d, text: fmt.Sprintf("the store has lost data; no figure is computed from it until it is repaired:\n%s", strings.Join(lines, "\n"))}
}

// DamageError is Damage as an error.
type DamageError struct {
	Damage Damage
	text   string
}

func (e *DamageError) Error() string { return e.text }

// CheckStore looks for lost data: parts the engine detached (broken on
// start, broken, unexpected, or detached by hand), and partitions whose
// transaction, log or withdrawal rows, or whose block rows, fall short of
// what the stored block rows and completed ranges say. It reads metadata
// and the blocks table only, so it is cheap enough to run on every start.
//
// A user who may not read the system tables (a read-only user of a
// ClickHouse server) gets no answer rather than an error: the process
// that owns the data checks it.
func CheckStore(ctx context.Context, conn driver.Conn) (Damage, error) {
	done, err := Done(ctx, conn)
	if err != nil {
		return nil, err
	}
	d, err := detached(ctx, conn, done)
	if err != nil {
		if refusedRead(err) {
			// A reader of another ethidx's endpoint, or a server user
			// without system grants: the owner checks on its start.
			slog.Debug("the store's damage check could not run: this user may not read the system tables", "err", err)
			return nil, nil
		}
		return nil, err
	}
	left, err := unfinished(ctx, conn, done)
	if err != nil {
		return nil, err
	}
	d = append(d, left...)
	distributed, err := distributed(ctx, conn)
	if err != nil {
		return nil, err
	}
	if distributed {
		// On a cluster the parts are the shards' _local tables'; the
		// per-partition comparison would see none. (Detached parts of
		// this node are still checked.)
		slog.Debug("damage check: Distributed tables, row comparison left out")
		return d, nil
	}
	short, err := shortPartitions(ctx, conn, done)
	if err == nil {
		var more Damage
		more, err = ledgerShort(ctx, conn, done, short)
		short = append(short, more...)
	}
	if err != nil {
		if refusedRead(err) {
			slog.Debug("the store's row check could not run: this user may not read system.parts", "err", err)
			return d, nil
		}
		return nil, err
	}
	return append(d, short...), nil
}

// ledgerShort compares, per partition, the rows present with what the
// completion ledger says completed ranges received, and reports each table
// short that the block rows' own counts did not already (found).
func ledgerShort(ctx context.Context, conn driver.Conn, done indexer.Ranges, found Damage) (Damage, error) {
	rows, err := conn.Query(ctx, opQuery("ledger_short"))
	if err != nil {
		return nil, fmt.Errorf("comparing rows with the completion ledger: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for _, p := range found {
		seen[p.Table+"/"+p.Blocks.String()] = true
	}
	var d Damage
	for rows.Next() {
		var p, blocks, txs, txRows, logs, logRows, ws, wRows, bRows, cs, cRows uint64
		if err := rows.Scan(&p, &blocks, &txs, &txRows, &logs, &logRows, &ws, &wRows, &bRows, &cs, &cRows); err != nil {
			return nil, fmt.Errorf("comparing rows with the completion ledger: %w", err)
		}
		span, _ := within(done, indexer.Range{From: p * partitionBlocks, To: p*partitionBlocks + partitionBlocks - 1})
		for _, c := range []struct {
			table      string
			have, want uint64
		}{{"blocks", bRows, blocks}, {"transactions", txRows, txs}, {"logs", logRows, logs}, {"withdrawals", wRows, ws}, {"traces", cRows, cs}} {
			if c.have >= c.want || seen[c.table+"/"+span.String()] {
				continue
			}
			d = append(d, Problem{Table: c.table, Blocks: span, Known: true,
				Reason: fmt.Sprintf("%d of the %d rows the completion ledger records for completed ranges are stored", c.have, c.want),
				Repair: backfillCommand(c.table, span)})
		}
	}
	return d, rows.Err()
}

// distributed reports whether the transactions table is a Distributed one
// (the cluster variant).
func distributed(ctx context.Context, conn driver.Conn) (bool, error) {
	var engine string
	err := conn.QueryRow(ctx, opQuery("table_engine"), "transactions").Scan(&engine)
	if err != nil {
		if refusedRead(err) {
			return false, nil
		}
		return false, fmt.Errorf("reading the transactions table's engine: %w", err)
	}
	return engine == "Distributed", nil
}

// refusedRead reports an access refusal (of a system table).
func refusedRead(err error) bool {
	var ex *clickhouse.Exception
	return errors.As(err, &ex) && (ex.Code == 497 || ex.Code == 164) || strings.Contains(err.Error(), "ACCESS_DENIED")
}

func detached(ctx context.Context, conn driver.Conn, done indexer.Ranges) (Damage, error) {
	rows, err := conn.Query(ctx, opQuery("detached_parts"))
	if err != nil {
		return nil, fmt.Errorf("reading detached parts: %w", err)
	}
	type part struct{ table, name, reason, partition string }
	var parts []part
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.table, &p.name, &p.reason, &p.partition); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading detached parts: %w", err)
		}
		parts = append(parts, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading detached parts: %w", err)
	}
	var d Damage
	for _, p := range parts {
		reason := p.reason
		if reason == "" {
			reason = "detached by hand"
		}
		pr, err := partProblem(ctx, conn, done, p.table, p.name, p.partition)
		if err != nil {
			return nil, err
		}
		pr.Reason = reason
		d = append(d, pr)
	}
	return d, nil
}

// backfillCommand is the command that loads blocks r again, with their
// call frames when table is the one that lost rows.
func backfillCommand(table string, r indexer.Range) string {
	traces := ""
	if table == "traces" {
		traces = "--traces "
	}
	return fmt.Sprintf("ethidx backfill %s--from %d --to %d", traces, r.From, r.To)
}

// partProblem is the problem of a part of table lost from service (its
// partition given), with the blocks it covered when they can be told and
// the command that restores its rows.
func partProblem(ctx context.Context, conn driver.Conn, done indexer.Ranges, tableName, name, partition string) (Problem, error) {
	pr := Problem{Table: tableName, Part: name}
	table := schemaTable(tableName)
	switch {
	case baseTables[table] || table == "ranges_done":
		n, perr := strconv.ParseUint(partition, 10, 64)
		r := indexer.Range{From: n * partitionBlocks, To: n*partitionBlocks + partitionBlocks - 1}
		if table == "ranges_done" || perr != nil {
			r = indexer.Range{From: 0, To: ^uint64(0)}
		}
		var err error
		got, ok := within(done, r)
		if !ok {
			// No completed range claims these blocks (its records went
			// too): name the blocks the store holds there, or else the
			// whole partition, so a backfill over them clears the part.
			got, ok, err = StoredIn(ctx, conn, r)
			if err != nil {
				return pr, err
			}
			if !ok {
				got = r
			}
		}
		pr.Blocks, pr.Known = got, true
		pr.Repair = backfillCommand(table, got) + " (reloads the batches whose rows are missing, then drops the detached part)"
	case table == "address_activity":
		m, err := strconv.ParseUint(partition, 10, 32)
		if err == nil {
			if r, ok, err := monthBlocks(ctx, conn, uint32(m)); err != nil {
				return pr, err
			} else if ok {
				pr.Blocks, pr.Known = r, true
			}
		}
		from := uint64(0)
		if pr.Known {
			from = pr.Blocks.From
		}
		pr.Repair = fmt.Sprintf("ethidx rebuild --from %d", from)
	default:
		// address_first_seen (one partition for all history), the
		// day cache and anything else derived.
		pr.Repair = "ethidx rebuild --from 0"
	}
	return pr, nil
}

// within returns the span of done inside r, if any.
func within(done indexer.Ranges, r indexer.Range) (indexer.Range, bool) {
	var out indexer.Range
	found := false
	for _, x := range done {
		if x.To < r.From || x.From > r.To {
			continue
		}
		lo, hi := max(x.From, r.From), min(x.To, r.To)
		if !found {
			out.From = lo
		}
		out.To = hi
		found = true
	}
	return out, found
}

// StoredIn returns the first and last stored block of r.
func StoredIn(ctx context.Context, conn driver.Conn, r indexer.Range) (indexer.Range, bool, error) {
	var lo, hi, n uint64
	if err := conn.QueryRow(withParams(ctx, map[string]uint64{"from": r.From, "to": r.To}), opQuery("stored_span")).Scan(&lo, &hi, &n); err != nil {
		return indexer.Range{}, false, fmt.Errorf("reading stored blocks %s: %w", r, err)
	}
	return indexer.Range{From: lo, To: hi}, n > 0, nil
}

func monthBlocks(ctx context.Context, conn driver.Conn, month uint32) (indexer.Range, bool, error) {
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"month": strconv.FormatUint(uint64(month), 10)}))
	var lo, hi, n uint64
	if err := conn.QueryRow(ctx, opQuery("month_blocks")).Scan(&lo, &hi, &n); err != nil {
		return indexer.Range{}, false, fmt.Errorf("reading blocks of month %d: %w", month, err)
	}
	return indexer.Range{From: lo, To: hi}, n > 0, nil
}

// shortPartitions compares, per million-block partition, the rows present
// with what the block rows and completed ranges say.
func shortPartitions(ctx context.Context, conn driver.Conn, done indexer.Ranges) (Damage, error) {
	rows, err := conn.Query(ctx, opQuery("partition_rows"))
	if err != nil {
		return nil, fmt.Errorf("counting rows per partition: %w", err)
	}
	defer rows.Close()
	stored := map[uint64]bool{}
	var d Damage
	for rows.Next() {
		var (
			p, blocks, txs, txRows, logs, logRows, ws, wRows, cs, cRows uint64
		)
		if err := rows.Scan(&p, &blocks, &txs, &txRows, &logs, &logRows, &ws, &wRows, &cs, &cRows); err != nil {
			return nil, fmt.Errorf("counting rows per partition: %w", err)
		}
		stored[p] = true
		span := indexer.Range{From: p * partitionBlocks, To: p*partitionBlocks + partitionBlocks - 1}
		doneSpan, _ := within(done, span)
		repair := backfillCommand("", doneSpan)
		if want := doneLen(done, span); blocks < want {
			d = append(d, Problem{Table: "blocks", Reason: fmt.Sprintf("%d of %d block rows of completed ranges are stored", blocks, want),
				Blocks: doneSpan, Known: true, Repair: repair})
		}
		for _, c := range []struct {
			table      string
			have, want uint64
		}{{"transactions", txRows, txs}, {"logs", logRows, logs}, {"withdrawals", wRows, ws}, {"traces", cRows, cs}} {
			if c.have < c.want {
				d = append(d, Problem{Table: c.table, Reason: fmt.Sprintf("%d of the %d rows the block rows count are stored", c.have, c.want),
					Blocks: doneSpan, Known: true, Repair: backfillCommand(c.table, doneSpan)})
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting rows per partition: %w", err)
	}
	// Completed ranges in a partition with no block row at all.
	for _, r := range done {
		for p := r.From / partitionBlocks; p <= r.To/partitionBlocks; p++ {
			if stored[p] {
				continue
			}
			stored[p] = true
			span := indexer.Range{From: p * partitionBlocks, To: p*partitionBlocks + partitionBlocks - 1}
			doneSpan, _ := within(done, span)
			d = append(d, Problem{Table: "blocks", Reason: fmt.Sprintf("0 of %d block rows of completed ranges are stored", doneLen(done, span)),
				Blocks: doneSpan, Known: true, Repair: fmt.Sprintf("ethidx backfill --from %d --to %d", doneSpan.From, doneSpan.To)})
		}
	}
	return d, nil
}

// doneLen is how many blocks of r the completed ranges cover.
func doneLen(done indexer.Ranges, r indexer.Range) uint64 {
	var n uint64
	for _, x := range done {
		if x.To < r.From || x.From > r.To {
			continue
		}
		n += min(x.To, r.To) - max(x.From, r.From) + 1
	}
	return n
}

// Incomplete returns the batches of size batch (counted from r.From)
// whose completed blocks are not all stored, or whose transaction, log or
// withdrawal rows fall short of what their block rows count (see
// sql/incomplete_batches.sql). It implements indexer.RowAuditor:
// Backfill loads these again although they are recorded as complete.
func Incomplete(ctx context.Context, conn driver.Conn, r indexer.Range, batch uint64) ([]indexer.Range, error) {
	done, err := Done(ctx, conn)
	if err != nil {
		return nil, err
	}
	if doneLen(done, r) == 0 {
		return nil, nil // nothing recorded as complete: nothing to distrust
	}
	// Only the span recorded as complete is read, from its first batch on.
	span, _ := within(done, r)
	lo := r.From + (span.From-r.From)/batch*batch
	qctx := withParams(ctx, map[string]uint64{"from": r.From, "lo": lo, "hi": span.To, "batch": batch})
	rows, err := conn.Query(qctx, opQuery("incomplete_batches"))
	if err != nil {
		return nil, fmt.Errorf("checking stored rows of %s: %w", r, err)
	}
	defer rows.Close()
	stored := map[uint64]uint64{} // batch -> block rows, for batches whose child rows agree
	short := map[uint64]bool{}
	for rows.Next() {
		var g, blocks, txs, txRows, logs, logRows, ws, wRows, cs, cRows uint64
		if err := rows.Scan(&g, &blocks, &txs, &txRows, &logs, &logRows, &ws, &wRows, &cs, &cRows); err != nil {
			return nil, fmt.Errorf("checking stored rows of %s: %w", r, err)
		}
		stored[g] = blocks
		short[g] = txRows < txs || logRows < logs || wRows < ws || cRows < cs
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checking stored rows of %s: %w", r, err)
	}
	var out []indexer.Range
	for g := uint64(0); g <= (r.To-r.From)/batch; g++ {
		b := batchRange(r, batch, g)
		if short[g] || stored[g] < doneLen(done, b) {
			out = append(out, b)
		}
	}
	return out, nil
}

func batchRange(r indexer.Range, batch, g uint64) indexer.Range {
	from := r.From + g*batch
	return indexer.Range{From: from, To: min(from+batch-1, r.To)}
}

// DropDetached removes the detached parts of d whose rows have been
// restored: those of base tables once the blocks they covered are whole
// again, and, when derived is set (after a rebuild), those of derived
// tables. It returns what remains.
func DropDetached(ctx context.Context, conn driver.Conn, d Damage, derived bool) error {
	for _, p := range d {
		if p.Part == "" || p.Lost || (!p.Base() && p.Table != "ranges_done" && !derived) {
			continue
		}
		stmt := strings.NewReplacer("{table}", sqltext.QuoteIdent(p.Table), "{part}", sqltext.QuoteString(p.Part)).Replace(opQuery("drop_detached"))
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("dropping repaired detached part %s of %s: %w", p.Part, p.Table, err)
		}
	}
	return nil
}

// unfinished finds rows that writers which stopped before completing a
// range left outside every completed range: in the ranges of dead claims
// (given up unfinished, or never released by a killed writer; see
// schema/0010_writer_claims.sql) that neither a completed range nor a live
// writer's claim covers. Figures must not count them, so they are damage
// until the range is loaded again. Each look is one read bounded by the
// sorting key per uncovered stretch.
func unfinished(ctx context.Context, conn driver.Conn, done indexer.Ranges) (Damage, error) {
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"ttl": strconv.Itoa(int(ClaimTTL / time.Second))}))
	rows, err := conn.Query(qctx, opQuery("dead_claims"))
	if err != nil {
		if refusedRead(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading writers' claims: %w", err)
	}
	var dead, live []indexer.Range
	for rows.Next() {
		var (
			r      indexer.Range
			isLive uint8
			host   string
			pid    uint32
		)
		if err := rows.Scan(&r.From, &r.To, &isLive, &host, &pid); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading writers' claims: %w", err)
		}
		if isLive == 1 && (host != Host || ProcessAlive(int(pid))) {
			live = append(live, r)
		} else {
			dead = append(dead, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading writers' claims: %w", err)
	}
	covered := indexer.Merge(append(append([]indexer.Range{}, done...), live...))
	var d Damage
	for _, r := range indexer.Merge(dead) {
		for _, m := range covered.Missing(r) {
			var lo, hi, n uint64
			if err := conn.QueryRow(withParams(ctx, map[string]uint64{"from": m.From, "to": m.To}), opQuery("rows_in")).Scan(&lo, &hi, &n); err != nil {
				return nil, fmt.Errorf("looking for rows of unfinished loads in %s: %w", m, err)
			}
			if n == 0 {
				continue
			}
			got := indexer.Range{From: lo, To: hi}
			d = append(d, Problem{Table: "transactions", Unfinished: true, Blocks: got, Known: true,
				Reason: "rows of a load that stopped before completing its range (a failed or killed writer) are stored outside every completed range",
				Repair: fmt.Sprintf("ethidx backfill --from %d --to %d (loads the range again and records it complete)", got.From, got.To)})
		}
	}
	return d, nil
}
