package queries_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/querytest"
)

// no1970 fails if any day or month column ethidx derives, in any saved view,
// the hex views, the day cache or the address tables, holds a date before
// 1971. db is the database, read fully qualified.
func no1970(t *testing.T, conn driver.Conn, db string) {
	t.Helper()
	// Side by side: the saved views take seconds each to plan.
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []error
	)
	for _, q := range []string{
		"SELECT count() FROM " + db + ".daily_activity WHERE day < '1971-01-01'",
		"SELECT count() FROM " + db + ".daily_coverage WHERE day < '1971-01-01'",
		"SELECT count() FROM " + db + ".daily_fees WHERE day < '1971-01-01'",
		"SELECT count() FROM " + db + ".daily_blobs WHERE day < '1971-01-01'",
		"SELECT count() FROM " + db + ".monthly_growth WHERE month < '1971-01-01'",
		"SELECT count() FROM " + db + ".monthly_growth_between(from = '1970-01-01', to = '2105-12-31') WHERE month < '1971-01-01'",
		"SELECT count() FROM " + db + "._daily_cache(from = '1970-01-01', to = '1970-12-31')",
		"SELECT count() FROM " + db + ".blocks_hex WHERE day < '1971-01-01'",
		"SELECT count() FROM " + db + ".transactions_hex WHERE day < '1971-01-01'",
		"SELECT count() FROM " + db + "._daily_rollup_v2 WHERE day < '1971-01-01'",
		"SELECT count() FROM " + db + ".address_activity WHERE day < '1971-01-01'",
		"SELECT count() FROM " + db + ".address_first_seen WHERE first_time < '1971-01-01'",
	} {
		wg.Go(func() {
			var n uint64
			if err := conn.QueryRow(context.Background(), q).Scan(&n); err != nil {
				mu.Lock()
				failed = append(failed, fmt.Errorf("%s: %w", q, err))
				mu.Unlock()
			}
			if n != 0 {
				t.Errorf("%d rows from 1970: %s", n, q)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(failed...); err != nil {
		t.Fatal(err)
	}
}

// A chain whose genesis is stamped 0, as mainnet's is: block 0 counts on
// block 1's day, in every view, cached or not, and nothing is dated 1970.
func TestGenesisDay(t *testing.T) {
	ctx := context.Background()
	conn := open(t)
	chain := querytest.Chain(0, 330, 1)
	g := *chain[0]
	g.Timestamp, g.Transactions, g.GasUsed, g.BlobGasUsed = 0, nil, 0, nil // a genesis block has no transactions
	chain[0] = &g

	// Genesis alone: its day is not known until block 1 is stored.
	write(t, conn, chain[:1])
	if rows := daily(t, conn); len(rows) != 0 {
		t.Errorf("genesis alone makes days %+v, want none", rows)
	}
	no1970Views(t, conn)

	write(t, conn, chain[1:])
	check(t, "genesis at 0, uncached", conn, chain)
	windowsAgree(t, conn)
	first := daily(t, conn)[0]
	if d := first.Day.UTC().Format(time.DateOnly); d != "2025-11-29" || first.Complete != 1 || first.NewAddressesExact != 1 {
		t.Errorf("first day %+v: want 2025-11-29, complete, exact", first)
	}
	var firstBlock, blocks uint64
	if err := conn.QueryRow(ctx, "SELECT first_block, blocks FROM daily_coverage ORDER BY day LIMIT 1").Scan(&firstBlock, &blocks); err != nil {
		t.Fatal(err)
	}
	wantBlocks := uint64(0)
	for _, b := range chain {
		if time.Unix(int64(b.Timestamp), 0).UTC().Format(time.DateOnly) == "2025-11-29" || b.Number == 0 {
			wantBlocks++
		}
	}
	if firstBlock != 0 || blocks != wantBlocks {
		t.Errorf("first day: first_block %d, %d blocks; want 0 and %d (genesis included)", firstBlock, blocks, wantBlocks)
	}
	var genesisDay time.Time
	if err := conn.QueryRow(ctx, "SELECT day FROM blocks_hex WHERE number = 0").Scan(&genesisDay); err != nil {
		t.Fatal(err)
	}
	if genesisDay.UTC().Format(time.DateOnly) != "2025-11-29" {
		t.Errorf("blocks_hex: genesis on %s, want 2025-11-29", genesisDay.UTC().Format(time.DateOnly))
	}
	if n := refresh(t, conn); n != completeDays(querytest.ExpectDaily(chain)) {
		t.Errorf("Refresh cached %d days", n)
	}
	check(t, "genesis at 0, cached", conn, chain)
	no1970(t, conn, "eth")

	// A cache written before the rule held the genesis-only 1970 day;
	// installing again drops it (it matched no day, so no figure changes).
	if err := conn.Exec(ctx, `INSERT INTO _daily_rollup_v2 (day, first_block, last_block, blocks, fingerprint, prior_blocks, active_addresses, active_senders, new_addresses)
		VALUES ('1970-01-01', 0, 0, 1, 7, 0, 0, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	no1970(t, conn, "eth")
	check(t, "after reinstall", conn, chain)
}

// windowsAgree checks that _daily_blocks over each single day, and over
// each day and the next, gives that day exactly the row the whole range
// gives it: the scan window, the neighbours, prior_blocks and block 0's
// day do not depend on where a range starts.
func windowsAgree(t *testing.T, conn driver.Conn) {
	t.Helper()
	all, err := dump(t, conn, "SELECT * FROM _daily_blocks(from = '1970-01-01', to = '2105-12-31')")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		t.Fatal("no days")
	}
	// Side by side, 4 at a time (the engine's connections).
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed []error
	)
	lanes := make(chan struct{}, 4)
	for _, row := range all {
		day := row[2:12] // toString(tuple(...)) = "('YYYY-MM-DD',..."
		for _, days := range []int{0, 1} {
			wg.Go(func() {
				lanes <- struct{}{}
				defer func() { <-lanes }()
				got, err := dump(t, conn, "SELECT * FROM _daily_blocks(from = '"+day+"', to = toDate('"+day+"') + "+strconv.Itoa(days)+") WHERE day = '"+day+"'")
				if err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
					return
				}
				if len(got) != 1 || got[0] != row {
					t.Errorf("_daily_blocks from %s over %d more days:\n got %v\nwant %s", day, days, got, row)
				}
			})
		}
	}
	wg.Wait()
	if err := errors.Join(failed...); err != nil {
		t.Fatal(err)
	}
}

// no1970Views is no1970 for the saved views only (blocks_hex shows a lone
// genesis on its own timestamp's date until block 1 is stored).
func no1970Views(t *testing.T, conn driver.Conn) {
	t.Helper()
	for _, v := range []string{"daily_activity", "daily_coverage", "daily_fees", "daily_blobs", "monthly_growth"} {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT count() FROM "+v).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s has %d rows with only the genesis block stored", v, n)
		}
	}
}

// Day applies the rule: genesis takes block 1's day, every other block its
// own timestamp's.
func TestDayRule(t *testing.T) {
	one := &indexer.Block{Number: 1, Timestamp: 1438269988} // mainnet block 1, 2015-07-30 15:26:28
	for _, c := range []struct {
		b    *indexer.Block
		one  *indexer.Block
		want string
	}{
		{&indexer.Block{Number: 0, Timestamp: 0}, one, "2015-07-30"},
		{&indexer.Block{Number: 0, Timestamp: 0}, nil, ""},
		{&indexer.Block{Number: 0, Timestamp: 1438269000}, one, "2015-07-30"},
		{one, one, "2015-07-30"},
		{&indexer.Block{Number: 6912, Timestamp: 1438300800}, one, "2015-07-31"},
	} {
		d, ok := querytest.Day(c.b, c.one)
		got := ""
		if ok {
			got = d.Format(time.DateOnly)
		}
		if got != c.want {
			t.Errorf("Day(block %d at %d) = %q, want %q", c.b.Number, c.b.Timestamp, got, c.want)
		}
	}
}

// A genesis stamped for real, a day and a half before block 1 (as on a dev
// chain started before its first block): block 0 still counts on block 1's
// day, and every range agrees on it.
func TestGenesisStampedDaysEarlier(t *testing.T) {
	conn := open(t)
	chain := querytest.Chain(0, 60, 1)
	g := *chain[0]
	g.Timestamp, g.Transactions, g.GasUsed, g.BlobGasUsed = chain[1].Timestamp-36*3600, nil, 0, nil
	chain[0] = &g
	write(t, conn, chain)
	check(t, "genesis 36h before block 1", conn, chain)
	windowsAgree(t, conn)
	var day time.Time
	var first, blocks uint64
	if err := conn.QueryRow(context.Background(), "SELECT day, first_block, blocks FROM daily_coverage ORDER BY day LIMIT 1").Scan(&day, &first, &blocks); err != nil {
		t.Fatal(err)
	}
	if want := time.Unix(int64(chain[1].Timestamp), 0).UTC().Format(time.DateOnly); day.UTC().Format(time.DateOnly) != want || first != 0 {
		t.Errorf("first day %s from block %d, want %s from block 0", day.UTC().Format(time.DateOnly), first, want)
	}
}
