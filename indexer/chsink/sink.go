// Package chsink stores indexer blocks in ClickHouse through clickhouse-go/v2.
// The same code writes to a ClickHouse server (native protocol) and to the
// embedded engine's HTTP endpoint; nothing here knows which. It is the
// write side: the rows, the completion ledger, the chain binding, the
// claims on ranges, rewinds and the record of verify runs. Reading a
// store's account of itself (the ledger, damage, verify's audit, status)
// is package store/inspect's; the sink reads the ledger and the chain
// binding through it.
package chsink

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/cluster"
	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/internal/bufpool"
	"github.com/ethidx/ethidx/store/inspect"
)

// Sink implements indexer.Sink over a clickhouse-go connection whose
// database already holds the schema.
type Sink struct {
	conn driver.Conn
	// run and generation name this writer's inserts (see insertToken).
	run        string
	generation atomic.Uint64

	mu    sync.Mutex
	types map[string][]clickhouse.ColumnNameAndType // per table, as columns[table] lists them
	// rowBytes is, per table, the size of a row in its last Native block.
	rowBytes map[string]int
	// written is what Write stored per block, until MarkDone puts it in
	// the completion ledger.
	written map[uint64]blockRows
	// chainID and genesis are the chain BindChain bound the store to,
	// which every ledger row records (zero until bound).
	chainID uint64
	genesis common.Hash
}

// blockRows is what one block contributed to each table.
type blockRows struct {
	hash                           common.Hash
	txs, logs, withdrawals, traces uint64
}

var _ indexer.Sink = (*Sink)(nil)

// New returns a Sink writing through conn.
func New(conn driver.Conn) *Sink {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms
	return &Sink{conn: conn, run: hex.EncodeToString(b)}
}

// insertToken names an insert of table's rows of blocks, for a cluster's
// replicas to skip the same insert sent twice (cluster.WithInsertToken):
// the blocks' numbers and hashes say what is inserted, and the writer's
// run and generation make rows deleted and then written again by this
// writer, or written again by a later run, a new insert rather than a
// retry. The generation moves on with every delete.
func (s *Sink) insertToken(table string, blocks []*indexer.Block) string {
	h := sha256.New()
	var n [8]byte
	for _, b := range blocks {
		binary.BigEndian.PutUint64(n[:], b.Number)
		h.Write(n[:])
		h.Write(b.Hash[:])
	}
	return fmt.Sprintf("ethidx-%s-%d-%s-%d-%d-%x", s.run, s.generation.Load(), table,
		blocks[0].Number, blocks[len(blocks)-1].Number, h.Sum(nil)[:12])
}

// Write stores the blocks' rows, table by table, blocks last: a blocks row
// is the mark that its block's other rows are all in.
func (s *Sink) Write(ctx context.Context, blocks []*indexer.Block) error {
	if len(blocks) == 0 {
		return nil
	}
	steps := []step{
		{table: "transactions", cols: appendTransactions, count: txRows},
		{table: "logs", cols: appendLogs, count: logRows},
		{table: "withdrawals", rows: appendWithdrawals},
		{table: "blocks", rows: appendBlocks},
	}
	if slices.ContainsFunc(blocks, func(b *indexer.Block) bool { return len(b.Traces) > 0 }) {
		// Only loads with --traces have frames: without, no statement.
		steps = slices.Insert(steps, len(steps)-1, step{table: "traces", rows: appendTraces})
	}
	// Each run of cluster.ShardRun blocks is one insert per table (on a
	// cluster, one shard's; see cluster.ShardRun); a batch rarely spans two.
	for len(blocks) > 0 {
		n := 1
		for n < len(blocks) && blocks[n].Number/cluster.ShardRun == blocks[0].Number/cluster.ShardRun {
			n++
		}
		run := blocks[:n]
		blocks = blocks[n:]
		for _, st := range steps {
			if err := s.insert(ctx, st, run); err != nil {
				return fmt.Errorf("writing %s of blocks %d-%d: %w", st.table, run[0].Number, run[len(run)-1].Number, err)
			}
		}
		s.mu.Lock()
		if s.written == nil {
			s.written = map[uint64]blockRows{}
		}
		for _, b := range run {
			s.written[b.Number] = blockRows{hash: b.Hash, txs: uint64(len(b.Transactions)), logs: uint64(len(b.Logs)),
				withdrawals: uint64(len(b.Withdrawals)), traces: uint64(len(b.Traces))}
		}
		s.mu.Unlock()
	}
	return nil
}

// insertSettings are the settings of every insert of chain rows. A batch
// holds each block once, so its rows do not share a sorting key (only a
// node repeating a withdrawal index under --verify structure could make
// two, which FINAL reads as one as before), and the engine's merge of each
// inserted block with itself (optimize_on_insert, a row-by-row copy of
// every column) would copy them unchanged. The address tables the
// materialized views fill from it aggregate equal keys in their background
// merges, and every reader of them groups anyway.
var insertSettings = clickhouse.Settings{"optimize_on_insert": 0}

// step is one table's insert of a batch: column-wise (cols, with count
// its rows), or row by row (rows) for the small tables.
type step struct {
	table string
	cols  func(*columnar, []*indexer.Block) (int, error)
	count func([]*indexer.Block) int
	rows  func(driver.Batch, []*indexer.Block) (int, error)
}

func (s *Sink) insert(ctx context.Context, st step, blocks []*indexer.Block) error {
	table := st.table
	types, err := s.columnTypes(ctx, table)
	if err != nil {
		return err
	}
	if ni, ok := s.conn.(NativeInserter); ok && st.cols != nil {
		return s.insertNative(ctx, ni, st, types, blocks)
	}
	fill := st.rows
	if st.cols != nil {
		fill = func(b driver.Batch, blocks []*indexer.Block) (int, error) { return st.cols(&columnar{b: b}, blocks) }
	}
	ctx = cluster.WithInsertToken(ctx, s.insertToken(table, blocks))
	ctx = cluster.WithSettings(ctx, insertSettings)
	ctx = clickhouse.Context(ctx, clickhouse.WithColumnNamesAndTypes(types))
	batch, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+table+" ("+columns[table]+")")
	if err != nil {
		return err
	}
	defer batch.Abort() //nolint:errcheck // a no-op after Send
	n, err := fill(batch, blocks)
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	return batch.Send()
}

// The Native block's first allocation: at most maxNativeHint, from the
// row size of the table's last insert of at least minRowsForHint rows.
const (
	maxNativeHint  = 256 << 20
	minRowsForHint = 1000
)

// insertNative encodes a column-wise table's rows into one Native block
// and hands it to the connection. Its buffer comes from nativeBufs, at
// least the size the table's last batch had per row with an eighth more,
// so it rarely grows. (The insert token is a cluster's, and a
// NativeInserter is a single engine.)
func (s *Sink) insertNative(ctx context.Context, ni NativeInserter, st step, types []clickhouse.ColumnNameAndType, blocks []*indexer.Block) error {
	n := st.count(blocks)
	if n == 0 {
		return nil
	}
	s.mu.Lock()
	perRow := s.rowBytes[st.table]
	s.mu.Unlock()
	if perRow == 0 {
		perRow = 512 // about a mainnet transaction's, twice a log's
	}
	hint := min(n*perRow*9/8, maxNativeHint)
	p := nativeBufs.Get(int64(hint))
	if p == nil {
		b := make([]byte, 0, hint)
		p = &b
	}
	nb := newNativeBlock(types, n, *p)
	if _, err := st.cols(&columnar{nb: nb}, blocks); err != nil {
		return err
	}
	s.mu.Lock()
	if s.rowBytes == nil {
		s.rowBytes = map[string]int{}
	}
	if n >= minRowsForHint {
		// A block or two (the follower's) says little about a batch.
		s.rowBytes[st.table] = len(nb.buf)/n + 1
	}
	s.mu.Unlock()
	settings := map[string]string{}
	for k, v := range insertSettings {
		settings[k] = fmt.Sprint(v)
	}
	if err := ni.InsertNative(ctx, "INSERT INTO "+st.table+" ("+columns[st.table]+") FORMAT Native", settings, nb.buf); err != nil {
		return err // the buffer is not reused: a cancelled insert may still be reading it
	}
	*p = nb.buf
	nativeBufs.Put(p)
	return nil
}

// nativeBufs keeps the Native blocks' buffers between inserts: four
// workers' transactions and logs of 100 mainnet blocks.
var nativeBufs = bufpool.Pool{Max: 512 << 20, Idle: 10 * time.Second}

// columnTypes returns the names and types of the columns the sink writes
// to table, in the order columns[table] lists them (sql/insert_columns.sql),
// read once.
func (s *Sink) columnTypes(ctx context.Context, table string) ([]clickhouse.ColumnNameAndType, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.types[table]; ok {
		return t, nil
	}
	rows, err := s.conn.Query(ctx, opQuery("insert_columns"), table)
	if err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	defer rows.Close()
	typeOf := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
		}
		typeOf[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the columns of %s: %w", table, err)
	}
	var out []clickhouse.ColumnNameAndType
	for _, name := range strings.Split(columns[table], ", ") {
		typ, ok := typeOf[name]
		if !ok {
			return nil, fmt.Errorf("table %s has no column %s: is the schema migrated?", table, name)
		}
		out = append(out, clickhouse.ColumnNameAndType{Name: name, Type: typ})
	}
	if s.types == nil {
		s.types = map[string][]clickhouse.ColumnNameAndType{}
	}
	s.types[table] = out
	return out, nil
}

// MarkDone records r as complete, and, when this sink wrote every block
// of r, its ledger row (see schema/0011_range_ledger.sql).
func (s *Sink) MarkDone(ctx context.Context, r indexer.Range) error {
	if err := s.conn.Exec(ctx, opQuery("mark_done"), r.From, r.To); err != nil {
		return fmt.Errorf("marking %s done: %w", r, err)
	}
	var sum blockRows
	s.mu.Lock()
	whole := r.Len() <= uint64(len(s.written))
	for n := r.From; whole && n <= r.To; n++ {
		b, ok := s.written[n]
		whole = ok
		sum.txs, sum.logs, sum.withdrawals, sum.traces = sum.txs+b.txs, sum.logs+b.logs, sum.withdrawals+b.withdrawals, sum.traces+b.traces
		sum.hash = b.hash
	}
	if whole {
		for n := r.From; n <= r.To; n++ {
			delete(s.written, n)
		}
	}
	s.mu.Unlock()
	if !whole {
		return nil
	}
	s.mu.Lock()
	chainID, genesis := s.chainID, s.genesis
	s.mu.Unlock()
	if err := s.conn.Exec(ctx, opQuery("ledger_insert"), r.From, r.To, string(sum.hash[:]), r.Len(), sum.txs, sum.logs, sum.withdrawals,
		chainID, string(genesis[:]), sum.traces); err != nil {
		return fmt.Errorf("recording %s in the completion ledger: %w", r, err)
	}
	return nil
}

// Done returns the completed ranges, merged (inspect.Done).
func (s *Sink) Done(ctx context.Context) (indexer.Ranges, error) { return inspect.Done(ctx, s.conn) }

// DoneWithin returns the completed ranges overlapping r, merged.
func (s *Sink) DoneWithin(ctx context.Context, r indexer.Range) (indexer.Ranges, error) {
	return inspect.DoneWithin(ctx, s.conn, r)
}

// Incomplete returns the batches of size batch (counted from r.From)
// recorded as complete whose rows are not all stored (inspect.Incomplete).
// It implements indexer.RowAuditor: Backfill loads these again.
func (s *Sink) Incomplete(ctx context.Context, r indexer.Range, batch uint64) ([]indexer.Range, error) {
	return inspect.Incomplete(ctx, s.conn, r, batch)
}

// Hashes returns stored block hashes in from..to.
func (s *Sink) Hashes(ctx context.Context, from, to uint64) (map[uint64]common.Hash, error) {
	ctx = withParams(ctx, map[string]uint64{"from": from, "to": to})
	rows, err := s.conn.Query(ctx, opQuery("block_hashes"))
	if err != nil {
		return nil, fmt.Errorf("reading stored hashes %d-%d: %w", from, to, err)
	}
	defer rows.Close()
	out := map[uint64]common.Hash{}
	for rows.Next() {
		var n uint64
		var h string
		if err := rows.Scan(&n, &h); err != nil {
			return nil, fmt.Errorf("reading stored hashes: %w", err)
		}
		out[n] = common.BytesToHash([]byte(h))
	}
	return out, rows.Err()
}

// Rewind deletes every row of blocks >= from (see sql/rewind.sql).
func (s *Sink) Rewind(ctx context.Context, from uint64) error {
	s.generation.Add(1)
	ctx = withParams(ctx, map[string]uint64{"from": from})
	for _, stmt := range op("rewind") {
		if err := s.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("rewinding to block %d: %w", from, err)
		}
	}
	return nil
}

// RebuildDerived derives the address tables again from the stored
// transactions of blocks >= from (see sql/rebuild_derived.sql).
func (s *Sink) RebuildDerived(ctx context.Context, from uint64) error {
	s.generation.Add(1)
	ctx = withParams(ctx, map[string]uint64{"from": from})
	for _, stmt := range op("rebuild_derived") {
		if err := s.conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("rebuilding derived tables from block %d: %w", from, err)
		}
	}
	return nil
}

// RowsPast reports whether any row of block >= from is stored.
func (s *Sink) RowsPast(ctx context.Context, from uint64) (bool, error) {
	ctx = withParams(ctx, map[string]uint64{"from": from})
	var n uint64
	if err := s.conn.QueryRow(ctx, opQuery("rows_past")).Scan(&n); err != nil {
		return false, fmt.Errorf("checking rows past block %d: %w", from, err)
	}
	return n > 0, nil
}

func withParams(ctx context.Context, p map[string]uint64) context.Context {
	params := clickhouse.Parameters{}
	for k, v := range p {
		params[k] = strconv.FormatUint(v, 10)
	}
	return clickhouse.Context(ctx, clickhouse.WithParameters(params))
}

func unix(ts uint64) time.Time { return time.Unix(int64(ts), 0).UTC() }

// BlocksFrom reports how many blocks are stored from block from on, and the
// first one's time (see sql/blocks_from.sql).
func (s *Sink) BlocksFrom(ctx context.Context, from uint64) (uint64, time.Time, error) {
	var (
		n     uint64
		first time.Time
	)
	if err := s.conn.QueryRow(ctx, opQuery("blocks_from"), from).Scan(&n, &first); err != nil {
		return 0, time.Time{}, fmt.Errorf("reading blocks from %d: %w", from, err)
	}
	return n, first, nil
}

// RecordVerify records a finished verify run of r that found problems,
// started at started, for inspect.ReadStatus to report.
func (s *Sink) RecordVerify(ctx context.Context, r indexer.Range, problems int, started time.Time) error {
	ctx = withParams(ctx, map[string]uint64{"from": r.From, "to": r.To, "problems": uint64(problems),
		"started_ms": uint64(started.UnixMilli())})
	if err := s.conn.Exec(ctx, opQuery("record_verify")); err != nil {
		return fmt.Errorf("recording the verify run: %w", err)
	}
	return nil
}
