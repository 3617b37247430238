// Package drivers holds the Go suite of the driver checks: clickhouse-go
// (the driver of Grafana's ClickHouse plugin, over HTTP) against `ethidx
// serve`. Run by ../run, which sets ETHIDX_CH_{HOST,PORT,USER,PASSWORD,
// DATABASE,OTHER_DATABASE} to a server holding a devnet chain indexed into
// DATABASE (eth), the user being read-only. Being under testdata/, `go test
// ./...` skips it; ../run names it.
package drivers

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

func env(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv("ETHIDX_CH_" + name)
	if v == "" {
		t.Fatalf("ETHIDX_CH_%s is not set (run ../run)", name)
	}
	return v
}

func options(t *testing.T, database, password string) *clickhouse.Options {
	return &clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{env(t, "HOST") + ":" + env(t, "PORT")},
		Auth:        clickhouse.Auth{Database: database, Username: env(t, "USER"), Password: password},
		DialTimeout: 10 * time.Second,
		ReadTimeout: 60 * time.Second,
	}
}

func open(t *testing.T, database string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(options(t, database, env(t, "PASSWORD")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// other is the database the qualified checks connect to: not ethidx's.
func other(t *testing.T) string {
	if v := os.Getenv("ETHIDX_CH_OTHER_DATABASE"); v != "" {
		return v
	}
	return "default"
}

// Views are read as BI tools read them, fully qualified; the parameterized
// ones over a range that holds all history.
var qualifiedViews = []string{
	"daily_activity", "monthly_growth", "daily_fees", "daily_blobs", "daily_coverage", "top_contracts",
	"daily_activity_between(from = '2000-01-01', to = '2100-01-01')",
	"monthly_growth_between(from = '2000-01-01', to = '2100-01-01')",
	"daily_fees_between(from = '2000-01-01', to = '2100-01-01')",
	"daily_blobs_between(from = '2000-01-01', to = '2100-01-01')",
	"daily_coverage_between(from = '2000-01-01', to = '2100-01-01')",
	"top_contracts_between(from = '2000-01-01', to = '2100-01-01', limit = 10)",
	"blocks_hex", "transactions_hex", "logs_hex", "withdrawals_hex",
}

// fingerprint is a result's row count and an order-free hash of its rows.
func fingerprint(t *testing.T, conn driver.Conn, from string) (uint64, string) {
	t.Helper()
	var n uint64
	var h string
	q := "SELECT count(), toString(sum(cityHash64(toString(tuple(*))))) FROM (SELECT * FROM " + from + ")"
	if err := conn.QueryRow(context.Background(), q).Scan(&n, &h); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n, h
}

func TestServerAndDatabase(t *testing.T) {
	ctx := context.Background()
	for _, db := range []string{env(t, "DATABASE"), other(t)} {
		conn := open(t, db)
		if err := conn.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		var cur string
		want := db
		if db == "default" {
			// The endpoint runs a connection to database default in its
			// empty sandbox database (default maps table names to files).
			want = "_ethidx_sandbox"
		}
		if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&cur); err != nil || cur != want {
			t.Fatalf("currentDatabase() = %q (%v), want %q", cur, err, want)
		}
	}
	bad, err := clickhouse.Open(options(t, other(t), "not-the-password"))
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	if err := bad.Exec(ctx, "SELECT 1"); err == nil || !strings.Contains(err.Error(), "516") && !strings.Contains(err.Error(), "Authentication") {
		t.Fatalf("wrong password: %v, want AUTHENTICATION_FAILED (516)", err)
	}
}

// Every saved view, read fully qualified from a connection whose database
// is not ethidx's, answers exactly what it answers unqualified in its own.
func TestViewsFullyQualifiedFromAnotherDatabase(t *testing.T) {
	db := env(t, "DATABASE")
	own, foreign := open(t, db), open(t, other(t))
	for _, v := range qualifiedViews {
		wantN, wantH := fingerprint(t, own, v)
		gotN, gotH := fingerprint(t, foreign, db+"."+v)
		if gotN != wantN || gotH != wantH {
			t.Errorf("%s.%s from database %s: %d rows (hash %s), want %d (%s)", db, v, other(t), gotN, gotH, wantN, wantH)
		}
		if wantN == 0 && !strings.HasPrefix(v, "withdrawals_hex") {
			t.Errorf("%s is empty: the comparison proves nothing", v)
		}
	}
	// The README's example, as written.
	rows, err := foreign.Query(context.Background(), "SELECT * FROM "+db+".daily_activity ORDER BY day DESC LIMIT 7")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil || n != 7 {
		t.Fatalf("README example: %d rows, %v", n, err)
	}
}

// daily_activity, qualified, with bound parameters and through
// database/sql (as Grafana's plugin uses the driver), equals figures
// computed from the raw transactions.
func TestDailyActivityQualified(t *testing.T) {
	ctx := context.Background()
	db := env(t, "DATABASE")
	sqldb := clickhouse.OpenDB(options(t, other(t), env(t, "PASSWORD")))
	defer sqldb.Close()

	truth := map[string][3]uint64{}
	rows, err := sqldb.QueryContext(ctx, "SELECT toString(toDate(block_timestamp)) AS d, count(), countIf(status = 1), uniqExact(from) FROM "+db+".transactions FINAL GROUP BY d")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d string
		var v [3]uint64
		if err := rows.Scan(&d, &v[0], &v[1], &v[2]); err != nil {
			t.Fatal(err)
		}
		truth[d] = v
	}
	rows.Close()

	rows, err = sqldb.QueryContext(ctx, "SELECT day, tx_count, tx_success, active_senders FROM "+db+".daily_activity ORDER BY day")
	if err != nil {
		t.Fatal(err)
	}
	var days []time.Time
	for rows.Next() {
		var day time.Time
		var v [3]uint64
		if err := rows.Scan(&day, &v[0], &v[1], &v[2]); err != nil {
			t.Fatal(err)
		}
		if w := truth[day.Format(time.DateOnly)]; v != w {
			t.Errorf("%s: daily_activity %v, transactions %v", day.Format(time.DateOnly), v, w)
		}
		days = append(days, day)
	}
	rows.Close()
	if len(days) < 60 || len(days) != len(truth) {
		t.Fatalf("%d days in daily_activity, %d in transactions; 62 days of history expected", len(days), len(truth))
	}

	conn := open(t, other(t))
	pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"lo": days[10].Format(time.DateOnly), "hi": days[16].Format(time.DateOnly)}))
	var got []struct {
		Day time.Time `ch:"day"`
	}
	if err := conn.Select(pctx, &got, "SELECT day FROM "+db+".daily_activity_between(from = {lo:Date}, to = {hi:Date}) ORDER BY day"); err != nil {
		t.Fatal(err)
	}
	if len(got) != 7 || !got[0].Day.Equal(days[10]) || !got[6].Day.Equal(days[16]) {
		t.Errorf("daily_activity_between %s..%s: %v", days[10].Format(time.DateOnly), days[16].Format(time.DateOnly), got)
	}

	var nullGrowth sql.NullFloat64
	if err := sqldb.QueryRowContext(ctx, "SELECT transactions_growth_pct FROM "+db+".monthly_growth ORDER BY month LIMIT 1").Scan(&nullGrowth); err != nil || nullGrowth.Valid {
		t.Errorf("first month's growth: %v (%v), want NULL", nullGrowth, err)
	}
}

func TestReadOnlyQualified(t *testing.T) {
	ctx := context.Background()
	db := env(t, "DATABASE")
	conn := open(t, other(t))
	for _, q := range []string{
		"INSERT INTO " + db + ".ranges_done (from_block, to_block) VALUES (1000000, 1000001)",
		"CREATE TABLE " + db + ".driver_test_probe (a UInt8) ENGINE = Memory",
		"DROP TABLE IF EXISTS " + db + ".daily_activity",
		"ALTER TABLE " + db + ".ranges_done DELETE WHERE from_block = 1000000",
	} {
		err := conn.Exec(ctx, q)
		var ex *clickhouse.Exception
		if !errors.As(err, &ex) || ex.Code != 164 && ex.Code != 497 {
			t.Errorf("%s: %v, want READONLY (164) or ACCESS_DENIED (497)", q, err)
		}
	}
	var probes uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name = 'driver_test_probe'", db).Scan(&probes); err != nil || probes != 0 {
		t.Errorf("driver_test_probe: %d (%v)", probes, err)
	}
	if n, _ := fingerprint(t, conn, db+".daily_activity"); n == 0 {
		t.Error("daily_activity is gone")
	}
}
