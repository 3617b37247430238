// Package chdbtest gives tests a real embedded ClickHouse engine.
//
// Each Open gets a fresh, empty data directory. The engine serves one data
// directory per process, so engines are handed out one at a time: a
// parallel test calling Open waits until the previous holder's test ends,
// and a test calling Open twice gets its first engine closed. A subtest
// cannot Open while its parent holds an engine (that would deadlock); it
// fails saying so: pass the parent's engine down instead. Booting the
// engine on a new directory costs ~30 ms; loading the library, once per test
// binary, ~0.3 s.
//
// The library must be installed (`make engine`); a missing library fails
// the test rather than skipping it, so CI cannot pass without testing.
package chdbtest

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
)

var (
	turn   = make(chan struct{}, 1) // held by the test owning the engine
	mu     sync.Mutex
	holder testing.TB
	cur    *chdb.Engine
)

// Open returns an engine on a fresh data directory, closed when t ends.
func Open(t testing.TB) *chdb.Engine {
	t.Helper()
	e, _ := open(t, chdb.Options{})
	return e
}

// OpenOptions is Open with engine options; it also returns the data dir.
func OpenOptions(t testing.TB, opts chdb.Options) (*chdb.Engine, string) {
	t.Helper()
	return open(t, opts)
}

// OpenAt opens an engine on an existing data directory (to test reopening
// after a crash), closed when t ends.
func OpenAt(t testing.TB, dir string, opts chdb.Options) *chdb.Engine {
	t.Helper()
	e, _ := openDir(t, dir, opts)
	return e
}

func open(t testing.TB, opts chdb.Options) (*chdb.Engine, string) {
	t.Helper()
	return openDir(t, t.TempDir(), opts)
}

func openDir(t testing.TB, dir string, opts chdb.Options) (*chdb.Engine, string) {
	t.Helper()
	if _, err := chdb.LibraryPath(); err != nil {
		t.Fatalf("chdbtest: %v", err)
	}
	mu.Lock()
	h := holder
	mu.Unlock()
	switch {
	case h == t:
		closeCurrent(t)
	case h != nil && strings.HasPrefix(t.Name(), h.Name()+"/"):
		// Waiting would deadlock: the parent holds the engine until it ends.
		t.Fatalf("chdbtest: %s already holds the engine (one per process); pass the parent's engine to subtests", h.Name())
	}
	select {
	case turn <- struct{}{}:
	case <-time.After(5 * time.Minute):
		t.Fatalf("chdbtest: waited 5 minutes for the engine held by %s", holderName())
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := chdb.Open(dir, opts)
	if err != nil {
		<-turn
		t.Fatalf("chdbtest: opening engine: %v", err)
	}
	mu.Lock()
	holder, cur = t, e
	mu.Unlock()
	t.Cleanup(func() { closeCurrentIf(t, e) })
	return e, dir
}

func holderName() string {
	mu.Lock()
	defer mu.Unlock()
	if holder == nil {
		return "nobody"
	}
	return holder.Name()
}

func closeCurrent(t testing.TB) {
	mu.Lock()
	e := cur
	mu.Unlock()
	closeCurrentIf(t, e)
}

// closeCurrentIf closes e and passes the turn on, unless e was already
// replaced (a test that called Open twice).
func closeCurrentIf(t testing.TB, e *chdb.Engine) {
	mu.Lock()
	if cur != e || e == nil {
		mu.Unlock()
		return
	}
	cur, holder = nil, nil
	mu.Unlock()
	if err := e.Close(); err != nil {
		t.Errorf("chdbtest: closing engine: %v", err)
	}
	<-turn
}
