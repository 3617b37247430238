package queries_test

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/queries"
)

// open returns a migrated database with the saved queries installed.
func open(t *testing.T) (driver.Conn, string) {
	t.Helper()
	conn, addr := chsinktest.Conn(t)
	if err := queries.Install(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
	return conn, addr
}

func write(t *testing.T, conn driver.Conn, blocks []*indexer.Block) {
	t.Helper()
	if err := chsink.New(conn).Write(context.Background(), blocks); err != nil {
		t.Fatal(err)
	}
}

func daily(t *testing.T, conn driver.Conn, from, to string) []dayRow {
	t.Helper()
	ctx := clickhouse.Context(context.Background(), clickhouse.WithParameters(clickhouse.Parameters{"from": from, "to": to}))
	var got []dayRow
	if err := conn.Select(ctx, &got, "SELECT * FROM daily_activity_between(from = {from:Date}, to = {to:Date})"); err != nil {
		t.Fatal(err)
	}
	return got
}

func checkDaily(t *testing.T, what string, got, want []dayRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d days, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		g.Day = g.Day.UTC()
		if g != w {
			t.Errorf("%s: day %s:\n got %+v\nwant %+v", what, w.Day.Format(time.DateOnly), g, w)
		}
	}
}

func TestDailyActivitySmoke(t *testing.T) {
	conn, _ := open(t)
	chain := makeChain(0, 330, 1)
	write(t, conn, chain)
	got := daily(t, conn, "1970-01-01", "2105-12-31")
	t.Logf("%d days; first %+v; last %+v", len(got), got[0], got[len(got)-1])
	checkDaily(t, "fresh", got, expectDaily(chain))
}
