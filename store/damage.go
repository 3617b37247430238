package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/store/inspect"
)

// CheckDamage looks for data the store has lost (parts the engine detached
// as broken, rows missing from completed ranges; see inspect.CheckStore).
// Unless allowed, a damaged store is refused: no command writes to it or
// computes a figure from it. The commands that repair it (backfill,
// rebuild) or only inspect it (verify, sql) open it anyway, with a warning
// per problem.
//
// A follower opens a store whose only problem is rows of unfinished loads
// (allowUnfinished): at its tip it removes them itself, and elsewhere they
// wait for a backfill of their range, which every figure asks for.
func (s *Store) CheckDamage(ctx context.Context, allow, allowUnfinished bool) error {
	d, err := s.findDamage(ctx)
	if err != nil {
		return err
	}
	s.Damage = d
	if len(d) == 0 {
		return nil
	}
	if !allow && !(allowUnfinished && d.Unfinished()) {
		return d.Err()
	}
	for _, p := range d {
		s.logger.Warn("store has lost data", "table", p.Table, "part", p.Part, "problem", p.Reason, "repair", p.Repair)
	}
	return nil
}

// AfterRepair drops the detached parts whose rows a backfill of r (or a
// rebuild, derived) restored, then checks the store again: what remains is
// returned as an error, so the command fails until the store is whole.
func (s *Store) AfterRepair(ctx context.Context, r indexer.Range, derived bool) error {
	if len(s.Damage) == 0 {
		return nil
	}
	var repaired inspect.Damage
	for _, p := range s.Damage {
		switch {
		case p.Part == "":
		case derived && !p.Base() && (r.From == 0 || p.Known && p.Blocks.From >= r.From):
			repaired = append(repaired, p)
		case !derived && p.Known && p.Blocks.From >= r.From && p.Blocks.To <= r.To:
			repaired = append(repaired, p)
		}
	}
	if err := inspect.DropDetached(ctx, s.Conn, repaired, derived); err != nil {
		return err
	}
	if err := s.forgetLost(repaired); err != nil {
		return err
	}
	d, err := s.findDamage(ctx)
	if err != nil {
		return err
	}
	s.Damage = d
	if len(d) == 0 {
		s.logger.Info("store repaired", "problems_fixed", len(repaired))
	}
	return d.Err()
}

// findDamage is inspect.CheckStore's findings plus the parts lost while the
// data dir was closed (lostParts).
func (s *Store) findDamage(ctx context.Context) (inspect.Damage, error) {
	d, err := inspect.CheckStore(ctx, s.Conn)
	if err != nil {
		return nil, err
	}
	lost, err := s.lostParts(ctx)
	if err != nil {
		return nil, err
	}
	ld, err := inspect.LostDamage(ctx, s.Conn, lost)
	if err != nil {
		return nil, err
	}
	return append(d, ld...), nil
}

// The owner of a data dir keeps, beside the engine's files, the parts
// inventory it saw when it last closed the data dir (partsFile), and the
// parts found gone since then (lostFile), until a repair restores their
// rows. A part directory deleted while the data dir is closed leaves the
// engine no trace (it reads the rest as all there is); the inventory does.
const (
	partsFile = "ethidx-parts.json"
	lostFile  = "ethidx-lost-parts.json"
)

// lostParts compares, once per open, the inventory recorded at the last
// close with the parts the engine has now, adds what is gone to the lost
// list, and returns that list. Only the process that owns a data dir does
// this; a ClickHouse server's parts are its operator's (and its replicas').
func (s *Store) lostParts(ctx context.Context) ([]inspect.Part, error) {
	if s.dataDir == "" {
		return nil, nil
	}
	var lost []inspect.Part
	if err := readJSON(filepath.Join(s.dataDir, lostFile), &lost); err != nil {
		return nil, err
	}
	if s.partsCompared {
		return lost, nil
	}
	s.partsCompared = true
	snap := filepath.Join(s.dataDir, partsFile)
	var recorded []inspect.Part
	if err := readJSON(snap, &recorded); err != nil || recorded == nil {
		return lost, err
	}
	current, err := inspect.Parts(ctx, s.Conn)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, p := range lost {
		seen[p.Table+"/"+p.Name] = true
	}
	for _, p := range inspect.LostParts(recorded, current) {
		if !seen[p.Table+"/"+p.Name] {
			lost = append(lost, p)
		}
	}
	if len(lost) > 0 {
		if err := writeJSON(filepath.Join(s.dataDir, lostFile), lost); err != nil {
			return nil, err
		}
	}
	// Used once: from now on merges and deletes change the parts.
	if err := os.Remove(snap); err != nil {
		return nil, fmt.Errorf("removing the parts inventory: %w", err)
	}
	return lost, nil
}

// forgetLost drops the lost parts among repaired from the lost list.
func (s *Store) forgetLost(repaired inspect.Damage) error {
	if s.dataDir == "" {
		return nil
	}
	gone := map[string]bool{}
	for _, p := range repaired {
		if p.Lost {
			gone[p.Table+"/"+p.Part] = true
		}
	}
	if len(gone) == 0 {
		return nil
	}
	path := filepath.Join(s.dataDir, lostFile)
	var lost, keep []inspect.Part
	if err := readJSON(path, &lost); err != nil {
		return err
	}
	for _, p := range lost {
		if !gone[p.Table+"/"+p.Name] {
			keep = append(keep, p)
		}
	}
	if len(keep) == 0 {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("clearing the lost parts list: %w", err)
		}
		return nil
	}
	return writeJSON(path, keep)
}

// recordParts writes the parts inventory as the data dir closes.
func (s *Store) recordParts() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A table whose mutation outlasts the wait is left out of the record
	// (inspect's sql/active_parts.sql): this wait only sharpens the next look.
	settle, done := context.WithTimeout(ctx, 5*time.Second)
	_ = inspect.SettleMutations(settle, s.Conn)
	done()
	parts, err := inspect.Parts(ctx, s.Conn)
	if err != nil {
		return err
	}
	parts = slices.DeleteFunc(parts, func(p inspect.Part) bool { return !p.Settled })
	return writeJSON(filepath.Join(s.dataDir, partsFile), parts)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// writeJSON replaces path atomically (a crash leaves the old file or the
// new one).
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
