package indexer_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

// indexedTo records the newest stored block the follower reports.
type indexedTo struct {
	mu sync.Mutex
	n  uint64
}

func (o *indexedTo) Head(indexer.Header) {}
func (o *indexedTo) Indexed(h indexer.Header) {
	o.mu.Lock()
	o.n = max(o.n, h.Number)
	o.mu.Unlock()
}
func (o *indexedTo) Wrote(int, int, time.Duration)          {}
func (o *indexedTo) Reorg(uint64, common.Hash, common.Hash) {}
func (o *indexedTo) get() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n
}

// With Retry, Follow outlives a node that fails: each failure is reported
// and waited out, Setup runs until it first succeeds, and the follower
// reaches the head once the node recovers. A permanent error ends it at
// once; without Retry (or with Once) the first failure does.
func TestFollowRetry(t *testing.T) {
	ctx := context.Background()
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 0, Count: 30, TxPerBlock: 3, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// No retries inside the source: every failure reaches the follower.
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{url}, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	zero := uint64(0)
	base := indexer.FollowOptions{Finality: indexer.Latest, Start: &zero, BatchSize: 10, Poll: 10 * time.Millisecond}

	// Without Retry, and with Once, a failure ends Follow.
	srv.AddFault(replay.Fault{Kind: replay.FaultStatus, Method: "eth_getBlockReceipts", Times: 1})
	once := base
	once.Once = true
	once.Retry = &indexer.Retry{Min: time.Millisecond}
	if err := indexer.Follow(ctx, src, sink, once); err == nil {
		t.Fatal("Once with a failing node: nil error, want the failure")
	}
	srv.ClearFaults()

	// Three failed block fetches, and a Setup that fails twice.
	srv.AddFault(replay.Fault{Kind: replay.FaultStatus, Method: "eth_getBlockReceipts", Times: 3})
	var (
		mu       sync.Mutex
		failures []time.Duration
		setups   int
	)
	obs := &indexedTo{}
	opt := base
	opt.Observer = obs
	opt.Setup = func(context.Context) error {
		setups++
		if setups <= 2 {
			return errors.New("setup not ready")
		}
		return nil
	}
	opt.Retry = &indexer.Retry{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond,
		OnError: func(_ error, wait time.Duration) {
			mu.Lock()
			failures = append(failures, wait)
			mu.Unlock()
		}}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- indexer.Follow(runCtx, src, sink, opt) }()
	deadline := time.After(2 * time.Minute)
	for obs.get() < 29 {
		select {
		case err := <-done:
			t.Fatalf("Follow with Retry returned %v before reaching the head", err)
		case <-deadline:
			t.Fatalf("follower at block %d after 2 minutes, want 29", obs.get())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Follow after cancel: %v, want nil", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if setups != 3 {
		t.Errorf("Setup ran %d times, want 3 (twice failing, then never again)", setups)
	}
	if len(failures) != 5 {
		t.Errorf("%d failures reported, want 5 (2 setups, 3 fetches): %v", len(failures), failures)
	}
	for i, want := range []time.Duration{5, 10, 20, 20, 20} {
		if i < len(failures) && failures[i] != want*time.Millisecond {
			t.Errorf("wait %d: %s, want %s (doubling up to Max)", i, failures[i], want*time.Millisecond)
		}
	}
	if rows := chsinktest.Snapshot(t, conn)["blocks"]; !strings.HasPrefix(rows, "30 rows") {
		t.Errorf("stored blocks: %s, want 30 rows", rows)
	}

	// A permanent error is returned at once, not retried.
	permanent := errors.New("wrong chain")
	calls := 0
	opt = base
	opt.Setup = func(context.Context) error { calls++; return permanent }
	opt.Retry = &indexer.Retry{Min: time.Millisecond, Permanent: func(err error) bool { return errors.Is(err, permanent) }}
	if err := indexer.Follow(ctx, src, sink, opt); !errors.Is(err, permanent) || calls != 1 {
		t.Errorf("permanent error: %v after %d calls, want it after 1", err, calls)
	}
}

// stopMidWrite is a sink whose first Write is interrupted by shutdown:
// ctx ends as the rows are being written, as SIGTERM would. With hang,
// that Write then waits for its own context to end.
type stopMidWrite struct {
	*chsink.Sink
	stop   func()
	hang   bool
	writes int
}

func (s *stopMidWrite) Write(ctx context.Context, blocks []*indexer.Block) error {
	s.writes++
	if s.writes == 1 {
		s.stop()
		if s.hang {
			<-ctx.Done()
			return ctx.Err()
		}
	}
	return s.Sink.Write(ctx, blocks)
}

// stopAtFetch is a source that ends ctx as it answers for blocks: a
// SIGTERM after the fetch, before the write.
type stopAtFetch struct {
	indexer.Source
	stop func()
}

func (s *stopAtFetch) Blocks(ctx context.Context, from, to uint64) ([]*indexer.Block, error) {
	b, err := s.Source.Blocks(ctx, from, to)
	s.stop()
	return b, err
}

// shutdownFixture is a node of blocks 1-8 and an empty store.
func shutdownFixture(t *testing.T) (indexer.Source, *chsink.Sink) {
	t.Helper()
	src, _ := generated(t, 8, 2)
	t.Cleanup(src.Close)
	conn, _ := chsinktest.Conn(t)
	return src, chsink.New(conn)
}

// storedAfter reports the completed ranges and the number of stored blocks.
func storedAfter(t *testing.T, sink *chsink.Sink) (indexer.Ranges, int) {
	t.Helper()
	done, err := sink.Done(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := sink.Hashes(context.Background(), 0, 8)
	if err != nil {
		t.Fatal(err)
	}
	return done, len(hashes)
}

// A shutdown that arrives while a write is under way lets it finish and
// record its range, in the follower's steps and in a backfill's batches:
// rows readers may already see are kept, and the caller stops as for any
// shutdown. A shutdown before the write does not begin it; a write that
// outlasts the bound is cut off, unrecorded.
func TestShutdownFinishesBegunWrite(t *testing.T) {
	one := uint64(1)
	follow := func(ctx context.Context, src indexer.Source, sink indexer.Sink) error {
		return indexer.Follow(ctx, src, sink, indexer.FollowOptions{Finality: indexer.Latest, Start: &one, BatchSize: 5,
			Retry: &indexer.Retry{Min: time.Millisecond}})
	}

	t.Run("follow", func(t *testing.T) {
		src, inner := shutdownFixture(t)
		ctx, cancel := context.WithCancel(context.Background())
		sink := &stopMidWrite{Sink: inner, stop: cancel}
		if err := follow(ctx, src, sink); err != nil {
			t.Fatalf("Follow stopped mid-write: %v, want nil", err)
		}
		if done, n := storedAfter(t, inner); len(done) != 1 || done[0] != (indexer.Range{From: 1, To: 5}) || n != 5 {
			t.Errorf("after a shutdown mid-write: completed %v, %d blocks; want [1-5] and its 5", done, n)
		}
	})

	t.Run("backfill", func(t *testing.T) {
		src, inner := shutdownFixture(t)
		ctx, cancel := context.WithCancel(context.Background())
		sink := &stopMidWrite{Sink: inner, stop: cancel}
		_, _ = indexer.Backfill(ctx, src, sink, indexer.BackfillOptions{Range: indexer.Range{From: 1, To: 8}, BatchSize: 5, Workers: 1})
		if done, n := storedAfter(t, inner); len(done) != 1 || done[0] != (indexer.Range{From: 1, To: 5}) || n != 5 {
			t.Errorf("backfill after a shutdown mid-write: completed %v, %d blocks; want [1-5] and its 5", done, n)
		}
	})

	t.Run("before the write", func(t *testing.T) {
		src, inner := shutdownFixture(t)
		ctx, cancel := context.WithCancel(context.Background())
		sink := &stopMidWrite{Sink: inner, stop: func() {}}
		if err := follow(ctx, &stopAtFetch{Source: src, stop: cancel}, sink); err != nil {
			t.Fatalf("Follow stopped after a fetch: %v, want nil", err)
		}
		if sink.writes != 0 {
			t.Errorf("stopped before writing: %d writes began, want none", sink.writes)
		}
	})

	t.Run("a write past the bound", func(t *testing.T) {
		defer indexer.SetFinishWithin(200 * time.Millisecond)()
		src, inner := shutdownFixture(t)
		ctx, cancel := context.WithCancel(context.Background())
		sink := &stopMidWrite{Sink: inner, stop: cancel, hang: true}
		returned := make(chan error, 1)
		go func() { returned <- follow(ctx, src, sink) }()
		select {
		case err := <-returned:
			if err != nil {
				t.Fatalf("Follow with a write cut off: %v, want nil", err)
			}
		case <-time.After(time.Minute):
			t.Fatal("a write that never ends held Follow a minute after shutdown")
		}
		if done, _ := storedAfter(t, inner); len(done) != 0 {
			t.Errorf("a write cut off was recorded: %v", done)
		}
	})
}
