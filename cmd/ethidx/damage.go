package main

import (
	"context"
	"log/slog"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
)

// checkDamage looks for data the store has lost (parts the engine detached
// as broken, rows missing from completed ranges; see chsink.CheckStore).
// Unless allowed, a damaged store is refused: no command writes to it or
// computes a figure from it. The commands that repair it (backfill,
// rebuild) or only inspect it (verify, sql) open it anyway, with a warning
// per problem.
//
// A follower opens a store whose only problem is rows of unfinished loads
// (allowUnfinished): at its tip it removes them itself, and elsewhere they
// wait for a backfill of their range, which every figure asks for.
func (s *store) checkDamage(ctx context.Context, allow, allowUnfinished bool) error {
	d, err := chsink.New(s.conn).CheckStore(ctx)
	if err != nil {
		return err
	}
	s.damage = d
	if len(d) == 0 {
		return nil
	}
	if !allow && !(allowUnfinished && d.Unfinished()) {
		return d.Err()
	}
	for _, p := range d {
		slog.Warn("store has lost data", "table", p.Table, "part", p.Part, "problem", p.Reason, "repair", p.Repair)
	}
	return nil
}

// afterRepair drops the detached parts whose rows a backfill of r (or a
// rebuild, derived) restored, then checks the store again: what remains is
// returned as an error, so the command fails until the store is whole.
func (s *store) afterRepair(ctx context.Context, r indexer.Range, derived bool) error {
	if len(s.damage) == 0 {
		return nil
	}
	var repaired chsink.Damage
	for _, p := range s.damage {
		switch {
		case p.Part == "":
		case derived && !p.Base() && (r.From == 0 || p.Known && p.Blocks.From >= r.From):
			repaired = append(repaired, p)
		case !derived && p.Known && p.Blocks.From >= r.From && p.Blocks.To <= r.To:
			repaired = append(repaired, p)
		}
	}
	sink := chsink.New(s.conn)
	if err := sink.DropDetached(ctx, repaired, derived); err != nil {
		return err
	}
	d, err := sink.CheckStore(ctx)
	if err != nil {
		return err
	}
	s.damage = d
	if len(d) == 0 {
		slog.Info("store repaired", "problems_fixed", len(repaired))
	}
	return d.Err()
}
