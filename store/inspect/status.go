package inspect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/queries/daycache"
)

// Status is what the store knows about itself, without a node: what is
// indexed, where the holes are, how big each table is, how much of the day
// cache applies, and when the store was last verified.
type Status struct {
	// Done is the completed ranges, merged; Gaps the holes between them
	// (blocks below the first range or above the last are not gaps: a
	// store may start at any block, and the head side is the lag).
	Done indexer.Ranges
	Gaps []indexer.Range
	// Tip is the last block of the newest completed range; TipTime its
	// timestamp, zero when its block row cannot be read (lost data).
	Tip     uint64
	HasTip  bool
	TipTime time.Time
	ChainID uint64 // 0 when no chain is recorded yet
	// Genesis is the recorded genesis hash of the chain (zero when
	// unknown).
	Genesis common.Hash
	Tables  []TableSize
	Cache   daycache.Coverage
	// LastVerify is the newest recorded verify run, nil if none.
	LastVerify *VerifyRun
	// DetachedParts counts the parts the engine took out of service
	// (sql/detached_parts.sql), the metadata-only part of the
	// damage check.
	DetachedParts int
	// LeftOut names the parts that could not be read: a table an older
	// schema lacks, or a system table this user may not read (another
	// ethidx's SQL endpoint serves no system tables to its users).
	LeftOut []string
}

// GapBlocks is the number of blocks in the gaps.
func (st Status) GapBlocks() uint64 {
	var n uint64
	for _, g := range st.Gaps {
		n += g.Len()
	}
	return n
}

// DoneBlocks is the number of blocks in completed ranges.
func (st Status) DoneBlocks() uint64 {
	var n uint64
	for _, r := range st.Done {
		n += r.Len()
	}
	return n
}

// TableSize is one table's active parts, from their metadata.
type TableSize struct {
	Table             string
	Rows              uint64
	CompressedBytes   uint64
	UncompressedBytes uint64
	Parts             uint64
}

// VerifyRun is one recorded `ethidx verify` (schema/0007_verify_runs.sql).
type VerifyRun struct {
	Blocks   indexer.Range
	Problems uint64
	Started  time.Time
	Finished time.Time
}

// StatusOptions chooses the dearer parts of Status.
type StatusOptions struct {
	// Validity compares every stored day with the cache, which reads one
	// row per stored block (seconds on mainnet): for `ethidx status`, not
	// for a periodic metrics refresh.
	Validity bool
}

// ReadStatus reads the store's own account of itself. Every part but the
// completed ranges is optional: a table an older schema lacks, or a system
// table a read-only user may not read, leaves its part empty instead of
// failing the whole answer.
func ReadStatus(ctx context.Context, conn driver.Conn, opts StatusOptions) (Status, error) {
	var st Status
	done, err := Done(ctx, conn)
	if err != nil {
		return st, err
	}
	st.Done = done
	if len(done) > 0 {
		st.Gaps = done.Missing(indexer.Range{From: done[0].From, To: done[len(done)-1].To})
		st.Tip, st.HasTip = done[len(done)-1].To, true
		var ts, n uint64
		if err := conn.QueryRow(withParams(ctx, map[string]uint64{"n": st.Tip}), opQuery("block_time")).Scan(&ts, &n); err != nil {
			return st, fmt.Errorf("reading the stored tip's time: %w", err)
		}
		if n > 0 {
			st.TipTime = unix(ts)
		}
	}
	skip := func(err error, part string) bool {
		if !optional(err) {
			return false
		}
		slog.Debug("status: leaving a part out", "part", part, "err", err)
		st.LeftOut = append(st.LeftOut, part)
		return true
	}
	recs, err := Bindings(ctx, conn)
	if err != nil && !skip(err, "chain id") {
		return st, err
	}
	for _, b := range recs {
		if b.Source != "stored" && st.ChainID == 0 {
			st.ChainID = b.ID
		}
		if b.Source != "stored" && st.Genesis == (common.Hash{}) {
			st.Genesis = b.Genesis
		}
	}
	if st.Tables, err = tableSizes(ctx, conn); err != nil && !skip(err, "table sizes") {
		return st, err
	}
	if st.Cache, err = cacheCoverage(ctx, conn, opts.Validity); err != nil && !skip(err, "day cache") {
		return st, err
	}
	if st.LastVerify, err = lastVerify(ctx, conn); err != nil && !skip(err, "last verify run") {
		return st, err
	}
	if st.DetachedParts, err = countDetached(ctx, conn); err != nil && !skip(err, "detached parts") {
		return st, err
	}
	return st, nil
}

// optional reports an error that means "this part is not there to read":
// an unknown table (an older schema, queries not installed) or a refused
// read of a system table.
func optional(err error) bool {
	var ex *clickhouse.Exception
	// 60 UNKNOWN_TABLE: a table an older schema lacks; 46 UNKNOWN_FUNCTION:
	// the saved queries' views (the cache's _daily_cache) not installed.
	return refusedRead(err) || errors.As(err, &ex) && (ex.Code == 60 || ex.Code == 46) ||
		strings.Contains(err.Error(), "UNKNOWN_TABLE") || strings.Contains(err.Error(), "UNKNOWN_FUNCTION")
}

func tableSizes(ctx context.Context, conn driver.Conn) ([]TableSize, error) {
	rows, err := conn.Query(ctx, opQuery("table_sizes"))
	if err != nil {
		return nil, fmt.Errorf("reading table sizes: %w", err)
	}
	defer rows.Close()
	var out []TableSize
	for rows.Next() {
		var t TableSize
		if err := rows.Scan(&t.Table, &t.Rows, &t.CompressedBytes, &t.UncompressedBytes, &t.Parts); err != nil {
			return nil, fmt.Errorf("reading table sizes: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// cacheCoverage reads the day cache's state; a store without the cache
// table (the saved queries never installed) reports it Missing.
func cacheCoverage(ctx context.Context, conn driver.Conn, validity bool) (daycache.Coverage, error) {
	c, err := daycache.ReadCoverage(ctx, conn)
	if err != nil {
		if optional(err) {
			return daycache.Coverage{Missing: true}, nil
		}
		return c, err
	}
	if !validity {
		return c, nil
	}
	return c, c.ReadValidity(ctx, conn)
}

func lastVerify(ctx context.Context, conn driver.Conn) (*VerifyRun, error) {
	rows, err := conn.Query(ctx, opQuery("last_verify"))
	if err != nil {
		return nil, fmt.Errorf("reading the last verify run: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return nil, rows.Err()
	}
	var v VerifyRun
	if err := rows.Scan(&v.Blocks.From, &v.Blocks.To, &v.Problems, &v.Started, &v.Finished); err != nil {
		return nil, fmt.Errorf("reading the last verify run: %w", err)
	}
	return &v, nil
}

func countDetached(ctx context.Context, conn driver.Conn) (int, error) {
	rows, err := conn.Query(ctx, opQuery("detached_parts"))
	if err != nil {
		return 0, fmt.Errorf("reading detached parts: %w", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	return n, rows.Err()
}
