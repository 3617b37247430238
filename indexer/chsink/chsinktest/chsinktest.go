// Package chsinktest gives tests a clickhouse-go connection to a fresh
// embedded engine, through its HTTP endpoint, with ethidx's schema applied
// in database "eth" — the same path the CLI uses.
package chsinktest

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
	"github.com/ethidx/ethidx/schema"
)

// Conn returns a migrated connection to database "eth" on a fresh engine,
// and the endpoint's address.
func Conn(t testing.TB) (driver.Conn, string) {
	t.Helper()
	// The kit's connection is the process's own, as the CLI's is (its
	// private endpoint account): trusted past the host guard, not bounded
	// by the endpoint users' limits.
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{Users: []sqlhttp.User{{Name: "default", Internal: true}}})
	return Database(t, addr, "eth"), addr
}

// Database creates and migrates another database on the endpoint at addr,
// e.g. a clean index to compare against.
func Database(t testing.TB, addr, name string) driver.Conn {
	t.Helper()
	ctx := context.Background()
	boot := open(t, addr, "default")
	if err := boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+name); err != nil {
		t.Fatalf("chsinktest: creating database: %v", err)
	}
	conn := open(t, addr, name)
	if _, err := schema.Migrate(ctx, conn); err != nil {
		t.Fatalf("chsinktest: migrating: %v", err)
	}
	return conn
}

func open(t testing.TB, addr, db string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("chsinktest: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
