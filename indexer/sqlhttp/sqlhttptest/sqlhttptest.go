// Package sqlhttptest runs the SQL endpoint over a fresh embedded engine
// for tests that talk to ClickHouse through clickhouse-go or plain HTTP.
// Engines are handed out one at a time per test binary (see chdbtest).
package sqlhttptest

import (
	"context"
	"log/slog"
	"net"
	"testing"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
)

// Start opens a fresh engine, serves it on a loopback port with cfg
// (Addr is ignored) and returns the address ("127.0.0.1:port") and engine.
// Both stop when t ends.
func Start(t testing.TB, cfg sqlhttp.Config) (string, *chdb.Engine) {
	t.Helper()
	return StartOptions(t, cfg, chdb.Options{})
}

// StartOptions is Start with engine options (such as the engine's Bounds).
func StartOptions(t testing.TB, cfg sqlhttp.Config, opts chdb.Options) (string, *chdb.Engine) {
	t.Helper()
	e, _ := chdbtest.OpenOptions(t, opts)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("sqlhttptest: %v", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sqlhttp.New(e, cfg).Serve(ctx, ln) }()
	// Registered after chdbtest's cleanup, so it runs first: the server
	// stops before the engine closes.
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sqlhttptest: serve: %v", err)
		}
	})
	return ln.Addr().String(), e
}
