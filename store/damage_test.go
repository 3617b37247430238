package store_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/store"
	"github.com/ethidx/ethidx/store/inspect"
)

// The owner of a data dir records its parts inventory as it closes; a part
// whose directory is deleted before the next open leaves the engine no
// trace, but CheckDamage finds it against the inventory: refused unless
// allowed, kept as Damage with its repair, and listed as lost until a
// repair restores it (AfterRepair), after which the store is whole.
func TestInventoryFindsPartLostWhileClosed(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	eng, dir := chdbtest.OpenOptions(t, chdb.Options{})
	st, err := store.Open(ctx, store.Options{Engine: eng, KeepInventory: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Conn.Exec(ctx, "INSERT INTO verify_runs (from_block, to_block, problems, started_at) VALUES (1, 10, 0, now64(3))"); err != nil {
		t.Fatal(err)
	}
	if err := st.CheckDamage(ctx, false, false); err != nil || len(st.Damage) != 0 {
		t.Fatalf("whole store: %v %v", st.Damage, err)
	}
	var path, name string
	if err := st.Conn.QueryRow(ctx, "SELECT path, name FROM system.parts WHERE database = currentDatabase() AND table = 'verify_runs' AND active").Scan(&path, &name); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ethidx-parts.json")); err != nil {
		t.Fatalf("no parts inventory after Close: %v", err)
	}
	eng.Close()
	if err := os.RemoveAll(path); err != nil {
		t.Fatal(err)
	}

	eng = chdbtest.OpenAt(t, dir, chdb.Options{})
	st, err = store.Open(ctx, store.Options{Engine: eng, KeepInventory: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var de *inspect.DamageError
	if err := st.CheckDamage(ctx, false, false); !errors.As(err, &de) || !strings.Contains(err.Error(), name) {
		t.Fatalf("a part lost while closed: %v, want a DamageError naming %s", err, name)
	}
	if err := st.CheckDamage(ctx, true, false); err != nil {
		t.Fatal(err)
	}
	if d := st.Damage; len(d) != 1 || !d[0].Lost || d[0].Table != "verify_runs" || d[0].Part != name || d[0].Repair != "ethidx rebuild --from 0" {
		t.Fatalf("damage %+v, want the lost verify_runs part with a rebuild", d)
	}
	lost := filepath.Join(dir, "ethidx-lost-parts.json")
	if _, err := os.Stat(lost); err != nil {
		t.Fatalf("no lost parts list: %v", err)
	}
	if err := st.AfterRepair(ctx, indexer.Range{From: 0, To: ^uint64(0)}, true); err != nil || len(st.Damage) != 0 {
		t.Fatalf("after a rebuild from 0: %v %v, want a whole store", st.Damage, err)
	}
	if _, err := os.Stat(lost); !os.IsNotExist(err) {
		t.Errorf("lost parts list left after the repair: %v", err)
	}
}

// A second process on a data dir uses the owner's endpoint; once the
// owner exits, OwnerGone says so and Refresh fails naming that endpoint,
// instead of reporting the cache as merely slow.
func TestOwnerGone(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	eng := chdbtest.Open(t)
	owner, err := store.Open(ctx, store.Options{Engine: eng, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	second, err := store.Open(ctx, store.Options{DataDir: eng.DataDir(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if owner.OwnerGone(ctx) || second.OwnerGone(ctx) || owner.SharedNote() != "" {
		t.Fatal("owner gone while it serves")
	}
	if err := second.Refresh(ctx); err != nil {
		t.Fatalf("refresh through the owner: %v", err)
	}
	owner.Close()
	if !second.OwnerGone(ctx) {
		t.Fatal("owner closed, OwnerGone false")
	}
	if err := second.Refresh(ctx); err == nil || !strings.Contains(err.Error(), second.Shared) {
		t.Fatalf("refresh after the owner closed: %v, want an error naming %s", err, second.Shared)
	}
}
