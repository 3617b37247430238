package inspect_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/store/inspect"
)

// Status merges completed ranges and finds the holes between them, reads
// the tip's time and the tables' sizes, returns the newest recorded verify
// run, and copes — without failing — with what is not there: a day cache
// that was never installed, a verify_runs table an older schema lacks
// (left out by name).
func TestStatusRangesVerifyAndLeftOut(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	sink := chsink.New(conn)
	for _, r := range []indexer.Range{{From: 1, To: 10}, {From: 11, To: 12}, {From: 21, To: 25}, {From: 40, To: 40}} {
		if err := sink.Write(ctx, chsinktest.Blocks(r.From, r.Len(), 0)); err != nil {
			t.Fatal(err)
		}
		if err := sink.MarkDone(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	started := time.Now().Add(-2 * time.Second)
	if err := sink.RecordVerify(ctx, indexer.Range{From: 1, To: 12}, 0, started.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // finished_at orders the runs
	if err := sink.RecordVerify(ctx, indexer.Range{From: 5, To: 30}, 7, started); err != nil {
		t.Fatal(err)
	}

	st, err := inspect.ReadStatus(ctx, conn, inspect.StatusOptions{Validity: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(st.Done), "[1-12 21-25 40-40]"; got != want {
		t.Errorf("done %s, want %s (1-10 and 11-12 are adjacent)", got, want)
	}
	if got, want := fmt.Sprint(st.Gaps), "[13-20 26-39]"; got != want || st.GapBlocks() != 22 || st.DoneBlocks() != 18 {
		t.Errorf("gaps %s (%d blocks), done %d blocks; want %s (22), 18", got, st.GapBlocks(), st.DoneBlocks(), want)
	}
	// chsinktest.Blocks stamps block n at 1767225600 + 12n.
	if !st.HasTip || st.Tip != 40 || !st.TipTime.Equal(time.Unix(1767225600+40*12, 0)) {
		t.Errorf("tip %d (%v) at %s, want 40 at %s", st.Tip, st.HasTip, st.TipTime, time.Unix(1767225600+40*12, 0).UTC())
	}
	v := st.LastVerify
	if v == nil || v.Blocks != (indexer.Range{From: 5, To: 30}) || v.Problems != 7 ||
		v.Started.UnixMilli() != started.UnixMilli() || v.Finished.Before(started) {
		t.Errorf("last verify %+v, want blocks 5-30, 7 problems, started %s", v, started.UTC())
	}
	// Each block was written once, so the parts' metadata counts exactly
	// the stored rows.
	sizes := map[string]inspect.TableSize{}
	for _, ts := range st.Tables {
		sizes[ts.Table] = ts
	}
	if b := sizes["blocks"]; b.Rows != 18 || b.CompressedBytes == 0 || b.Parts == 0 {
		t.Errorf("blocks size %+v, want 18 rows in some parts and bytes", b)
	}
	if tx := sizes["transactions"]; tx.Rows != 3*18 {
		t.Errorf("transactions size %+v, want %d rows", tx, 3*18)
	}
	// The cache table is migrated and the views installed, nothing cached
	// yet; nothing is left out.
	if st.Cache.Missing || st.Cache.CachedDays != 0 || !st.Cache.Validity || st.Cache.StoredDays == 0 || st.DetachedParts != 0 || len(st.LeftOut) != 0 {
		t.Errorf("cache %+v, %d detached parts, left out %q; want an empty cache of stored days, nothing else", st.Cache, st.DetachedParts, st.LeftOut)
	}

	if err := conn.Exec(ctx, "DROP TABLE verify_runs"); err != nil {
		t.Fatal(err)
	}
	st, err = inspect.ReadStatus(ctx, conn, inspect.StatusOptions{})
	if err != nil {
		t.Fatalf("status without verify_runs: %v", err)
	}
	if st.LastVerify != nil || !slices.Contains(st.LeftOut, "last verify run") || st.Tip != 40 {
		t.Errorf("without verify_runs: last verify %+v, left out %q, tip %d", st.LastVerify, st.LeftOut, st.Tip)
	}
}
