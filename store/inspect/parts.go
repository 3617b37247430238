package inspect

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer"
)

// Part is one active data part of a table, as system.parts lists it: the
// engine's inventory, which a deleted part directory silently leaves.
// Recording it when a data dir is closed, and comparing on the next open,
// tells a part lost in between from one merged away.
type Part struct {
	Table     string `json:"table"`
	Partition string `json:"partition"`
	Name      string `json:"name"`
	MinBlock  int64  `json:"min_block"` // the engine's insert numbers, not chain blocks
	MaxBlock  int64  `json:"max_block"`
	Rows      uint64 `json:"rows"`
	// Settled says the part may be recorded (sql/active_parts.sql): no
	// lightweight delete or running mutation may drop it on its own.
	Settled bool `json:"-"`
}

// Parts lists the active parts of the database; those whose
// disappearance LostParts can judge are Settled (see sql/active_parts.sql).
func Parts(ctx context.Context, conn driver.Conn) ([]Part, error) {
	rows, err := conn.Query(ctx, opQuery("active_parts"))
	if err != nil {
		return nil, fmt.Errorf("listing the tables' parts: %w", err)
	}
	defer rows.Close()
	var out []Part
	for rows.Next() {
		var p Part
		if err := rows.Scan(&p.Table, &p.Partition, &p.Name, &p.MinBlock, &p.MaxBlock, &p.Rows, &p.Settled); err != nil {
			return nil, fmt.Errorf("listing the tables' parts: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SettleMutations waits, until ctx ends, for the database's running
// mutations to finish, so that Parts lists what they leave: a rewind's
// delete that empties a part drops it once applied.
func SettleMutations(ctx context.Context, conn driver.Conn) error {
	for {
		var n uint64
		if err := conn.QueryRow(ctx, opQuery("mutations_running")).Scan(&n); err != nil {
			return fmt.Errorf("reading running mutations: %w", err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// LostParts returns the parts of recorded that held rows and are neither
// in current nor covered by a part of current (a merge's or a mutation's
// result: same table and partition, insert numbers spanning the old
// part's). current is every active part, settled or not.
func LostParts(recorded, current []Part) []Part {
	type key struct{ table, partition string }
	now := map[key][]Part{}
	for _, p := range current {
		k := key{p.Table, p.Partition}
		now[k] = append(now[k], p)
	}
	var lost []Part
	for _, r := range recorded {
		if r.Rows == 0 {
			continue
		}
		covered := false
		for _, p := range now[key{r.Table, r.Partition}] {
			if p.MinBlock <= r.MinBlock && p.MaxBlock >= r.MaxBlock {
				covered = true
				break
			}
		}
		if !covered {
			lost = append(lost, r)
		}
	}
	return lost
}

// LostDamage describes lost parts as problems, each with the command that
// restores its rows (a backfill for a base table, a rebuild for a derived
// one).
func LostDamage(ctx context.Context, conn driver.Conn, lost []Part) (Damage, error) {
	if len(lost) == 0 {
		return nil, nil
	}
	done, err := Done(ctx, conn)
	if err != nil {
		return nil, err
	}
	var d Damage
	for _, p := range lost {
		pr, err := partProblem(ctx, conn, done, p.Table, p.Name, p.Partition)
		if err != nil {
			return nil, err
		}
		pr.Lost = true
		pr.Reason = fmt.Sprintf("part %s (%d rows) is gone: its directory was deleted or lost on disk while the data dir was closed", p.Name, p.Rows)
		pr.Repair = strings.TrimSuffix(pr.Repair, " (reloads the batches whose rows are missing, then drops the detached part)")
		d = append(d, pr)
	}
	return d, nil
}

// Covers reports whether a repair of blocks r (a backfill of r, or with
// derived a rebuild from r.From) restores p's rows.
func (p Problem) Covers(r indexer.Range, derived bool) bool {
	switch {
	case derived:
		return !p.Base() && (r.From == 0 || p.Known && p.Blocks.From >= r.From)
	default:
		return p.Base() && p.Known && p.Blocks.From >= r.From && p.Blocks.To <= r.To
	}
}
