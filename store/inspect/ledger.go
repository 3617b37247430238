package inspect

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
)

// Done returns the completed ranges, merged.
func Done(ctx context.Context, conn driver.Conn) (indexer.Ranges, error) {
	rows, err := conn.Query(ctx, opQuery("ranges_done"))
	if err != nil {
		return nil, fmt.Errorf("reading completed ranges: %w", err)
	}
	defer rows.Close()
	var rs []indexer.Range
	for rows.Next() {
		var r indexer.Range
		if err := rows.Scan(&r.From, &r.To); err != nil {
			return nil, fmt.Errorf("reading completed ranges: %w", err)
		}
		rs = append(rs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading completed ranges: %w", err)
	}
	return indexer.Merge(rs), nil
}

// DoneWithin returns the completed ranges overlapping r, merged.
func DoneWithin(ctx context.Context, conn driver.Conn, r indexer.Range) (indexer.Ranges, error) {
	rows, err := conn.Query(withParams(ctx, map[string]uint64{"from": r.From, "to": r.To}), opQuery("ranges_done_within"))
	if err != nil {
		return nil, fmt.Errorf("reading completed ranges of %s: %w", r, err)
	}
	defer rows.Close()
	var rs []indexer.Range
	for rows.Next() {
		var x indexer.Range
		if err := rows.Scan(&x.From, &x.To); err != nil {
			return nil, fmt.Errorf("reading completed ranges of %s: %w", r, err)
		}
		rs = append(rs, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading completed ranges of %s: %w", r, err)
	}
	return indexer.Merge(rs), nil
}

// Binding is one record of the chain a store belongs to.
type Binding struct {
	Source  string // "chain", "ledger" or "stored"
	ID      uint64
	Genesis common.Hash
}

// Bindings reads every record of the store's chain (sql/chain_bindings.sql).
func Bindings(ctx context.Context, conn driver.Conn) ([]Binding, error) {
	rows, err := conn.Query(ctx, opQuery("chain_bindings"))
	if err != nil {
		return nil, fmt.Errorf("reading the store's chain: %w", err)
	}
	defer rows.Close()
	var out []Binding
	for rows.Next() {
		var (
			b Binding
			g string
		)
		if err := rows.Scan(&b.Source, &b.ID, &g); err != nil {
			return nil, fmt.Errorf("reading the store's chain: %w", err)
		}
		b.Genesis = common.BytesToHash([]byte(g))
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the store's chain: %w", err)
	}
	return out, nil
}

// ClaimTTL is how long a writer's claim outlives its last heartbeat
// (schema/0010_writer_claims.sql); the damage check takes a claim older
// than that for dead.
const ClaimTTL = 30 * time.Second

// Host is this machine's name, as writers' claims record it.
var Host, _ = os.Hostname()

// ProcessAlive reports whether a process with this id runs on this machine.
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
