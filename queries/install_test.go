package queries_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/queries"
)

// countingDB counts the views created through it.
type countingDB struct {
	queries.DB
	creates int
}

func (c *countingDB) Exec(ctx context.Context, q string, args ...any) error {
	if strings.Contains(q, "CREATE OR REPLACE VIEW") {
		c.creates++
	}
	return c.DB.Exec(ctx, q, args...)
}

// A start whose views are already this binary's creates none; a view
// dropped by hand, or another set of definitions, installs them all again.
func TestInstallSkipsCurrentViews(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	db := &countingDB{DB: conn}
	if err := queries.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	all := db.creates
	if all < 10 {
		t.Fatalf("the first install created %d views", all)
	}
	db.creates = 0
	if err := queries.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	if db.creates != 0 {
		t.Errorf("a second install created %d views", db.creates)
	}
	if err := conn.Exec(ctx, "DROP VIEW daily_activity"); err != nil {
		t.Fatal(err)
	}
	if err := queries.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	if db.creates != all {
		t.Errorf("after a view was dropped, install created %d views, want %d", db.creates, all)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'daily_activity'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("daily_activity not installed again: %d, %v", n, err)
	}
	before := db.creates
	if err := conn.Exec(ctx, "TRUNCATE TABLE _views_installed"); err != nil {
		t.Fatal(err)
	}
	if err := queries.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	if db.creates == before {
		t.Error("with no definitions recorded, install created no view")
	}
}

// An older binary started after a newer one installs its own views again,
// although its definitions were recorded before.
func TestInstallAfterANewerBinary(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	db := &countingDB{DB: conn}
	if err := queries.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	// A newer binary's definitions, recorded after this one's.
	if err := conn.Exec(ctx, "INSERT INTO _views_installed (hash, installed_at) VALUES ('newer', now64(6) + 1)"); err != nil {
		t.Fatal(err)
	}
	db.creates = 0
	if err := queries.Install(ctx, db); err != nil {
		t.Fatal(err)
	}
	if db.creates == 0 {
		t.Error("this binary's views were not installed over a newer binary's")
	}
}
