package queries_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/indexer/rpcsource"
	"github.com/ethidx/ethidx/internal/fixtures"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/daycache"
	"github.com/ethidx/ethidx/queries/report"
)

// era1Fixture is mainnet's first 16,384 blocks (genesis to 2015-08-01,
// headers and uncles, no transactions), one JSON object per line:
// {"block": eth_getBlockByNumber(n, true), "receipts": eth_getBlockReceipts(n)}.
func era1Fixture(t *testing.T) string {
	return fixtures.Era1Path(t)
}

// serveEra1 loads the fixture into a replay server, which serves each
// block at its number as a node would, and returns the server and the
// blocks' timestamps by number.
func serveEra1(t *testing.T) (*replay.Server, []uint64) {
	t.Helper()
	f, err := os.Open(era1Fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	srv := replay.New(replay.Options{})
	var times []uint64
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for sc.Scan() {
		var line struct {
			Block    json.RawMessage `json:"block"`
			Receipts json.RawMessage `json:"receipts"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("era1 line %d: %v", len(times), err)
		}
		var head struct {
			Number    string `json:"number"`
			Timestamp string `json:"timestamp"`
		}
		if err := json.Unmarshal(line.Block, &head); err != nil {
			t.Fatalf("era1 line %d: %v", len(times), err)
		}
		n, err1 := strconv.ParseUint(head.Number, 0, 64)
		ts, err2 := strconv.ParseUint(head.Timestamp, 0, 64)
		if err1 != nil || err2 != nil || n != uint64(len(times)) {
			t.Fatalf("era1 line %d: block %q at %q", len(times), head.Number, head.Timestamp)
		}
		if err := srv.AddBlock(line.Block, line.Receipts); err != nil {
			t.Fatalf("era1 block %d: %v", n, err)
		}
		times = append(times, ts)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(times) != 16384 || times[0] != 0 {
		t.Fatalf("era1 fixture: %d blocks, genesis at %d; want 16384 from genesis at 0", len(times), times[0])
	}
	return srv, times
}

// Mainnet's first 16,384 blocks, through the replay RPC server, the real
// source and sink, into database eth, read fully qualified from database
// default: 2015-07-30 (6,912 blocks, genesis included) and 2015-07-31
// (6,863) are complete days with no transactions and exact new addresses,
// 2015-08-01 is incomplete (its blocks go on past 16,383), and no view,
// cache or address table has a 1970 row.
func TestEra1FirstDays(t *testing.T) {
	ctx := context.Background()
	srv, times := serveEra1(t)
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	conn, addr := chsinktest.Conn(t)
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	if _, err := indexer.Backfill(ctx, src, chsink.New(conn), indexer.BackfillOptions{Range: indexer.Range{From: 0, To: 16383}, BatchSize: 512}); err != nil {
		t.Fatal(err)
	}
	def := openDB(t, addr, "default")

	// The days, independently of the SQL: UTC dates of the timestamps,
	// with genesis on block 1's.
	type day struct {
		first, last, blocks uint64
	}
	want := map[string]*day{}
	var order []string
	for n, ts := range times {
		if n == 0 {
			ts = times[1]
		}
		k := time.Unix(int64(ts), 0).UTC().Format(time.DateOnly)
		d := want[k]
		if d == nil {
			d = &day{first: uint64(n)}
			want[k] = d
			order = append(order, k)
		}
		d.last = uint64(n)
		d.blocks++
	}
	if len(order) != 3 || order[0] != "2015-07-30" || want["2015-07-30"].blocks != 6912 || want["2015-07-31"].blocks != 6863 {
		t.Fatalf("the fixture's days: %v, 2015-07-30 %+v, 2015-07-31 %+v", order, want["2015-07-30"], want["2015-07-31"])
	}

	// A date range resolves to the same blocks: the first day from genesis.
	for _, k := range order[:2] {
		d, _ := time.Parse(time.DateOnly, k)
		r, err := indexer.DateRange(ctx, src, d, d, 16383)
		if err != nil || r.From != want[k].first || r.To != want[k].last {
			t.Errorf("DateRange %s = %v (%v), want %d-%d", k, r, err, want[k].first, want[k].last)
		}
	}

	for _, cached := range []bool{false, true} {
		if cached {
			if n, err := daycache.Refresh(ctx, conn); err != nil || n != 2 {
				t.Fatalf("Refresh cached %d days (%v), want the 2 complete ones", n, err)
			}
		}
		var cov []struct {
			Day         time.Time `ch:"day"`
			First       uint64    `ch:"first_block"`
			Last        uint64    `ch:"last_block"`
			Blocks      uint64    `ch:"blocks"`
			Missing     uint64    `ch:"missing_blocks"`
			Complete    uint8     `ch:"complete"`
			FromGenesis uint8     `ch:"from_genesis"`
		}
		if err := def.Select(ctx, &cov, "SELECT * FROM eth.daily_coverage"); err != nil {
			t.Fatal(err)
		}
		if len(cov) != 3 {
			t.Fatalf("cached=%v: daily_coverage has %d days, want 3: %+v", cached, len(cov), cov)
		}
		for i, c := range cov {
			k := c.Day.UTC().Format(time.DateOnly)
			w := want[order[i]]
			complete := uint8(1)
			if i == 2 {
				complete = 0 // block 16384, on 2015-08-01 too, is not stored
			}
			if k != order[i] || c.First != w.first || c.Last != w.last || c.Blocks != w.blocks || c.Missing != 0 || c.Complete != complete || c.FromGenesis != 1 {
				t.Errorf("cached=%v: daily_coverage %s %+v, want %s %+v complete %d from genesis", cached, k, c, order[i], *w, complete)
			}
		}

		var act []struct {
			Day     time.Time `ch:"day"`
			Blocks  uint64    `ch:"blocks"`
			Txs     uint64    `ch:"tx_count"`
			Active  uint64    `ch:"active_addresses"`
			New     uint64    `ch:"new_addresses"`
			Exact   uint8     `ch:"new_addresses_exact"`
			Compl   uint8     `ch:"complete"`
			Created uint64    `ch:"contract_creations"`
		}
		if err := def.Select(ctx, &act, "SELECT day, blocks, tx_count, active_addresses, new_addresses, new_addresses_exact, complete, contract_creations FROM eth.daily_activity"); err != nil {
			t.Fatal(err)
		}
		if len(act) != 3 {
			t.Fatalf("cached=%v: daily_activity has %d days: %+v", cached, len(act), act)
		}
		for i, a := range act[:2] {
			if k := a.Day.UTC().Format(time.DateOnly); k != order[i] || a.Blocks != want[k].blocks || a.Txs != 0 || a.Active != 0 || a.New != 0 || a.Exact != 1 || a.Compl != 1 || a.Created != 0 {
				t.Errorf("cached=%v: daily_activity %s %+v: want %d blocks, complete, no transactions, new_addresses_exact 1", cached, k, a, want[k].blocks)
			}
		}
		if a := act[2]; a.Compl != 0 || a.Exact != 0 {
			t.Errorf("cached=%v: 2015-08-01 %+v: want incomplete, inexact", cached, a)
		}

		var months []struct {
			Month   time.Time `ch:"month"`
			Covered uint64    `ch:"days_covered"`
			Partial uint8     `ch:"partial"`
			Txs     uint64    `ch:"transactions"`
		}
		if err := def.Select(ctx, &months, "SELECT month, days_covered, partial, transactions FROM eth.monthly_growth"); err != nil {
			t.Fatal(err)
		}
		if len(months) != 2 || months[0].Month.UTC().Format("2006-01") != "2015-07" || months[0].Covered != 2 || months[0].Partial != 1 ||
			months[1].Month.UTC().Format("2006-01") != "2015-08" || months[1].Covered != 0 {
			t.Errorf("cached=%v: monthly_growth %+v: want 2015-07 (2 days, partial) and 2015-08 (none covered)", cached, months)
		}
		no1970(t, def, "eth")
	}

	// The report of the first month, with its days (June and July 2015):
	// nothing from 1970.
	rep, err := report.Monthly(ctx, conn, "2015-07")
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.LoadDays(ctx, conn); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "1970") || len(rep.Days) != 2 || rep.Days[0].Day.UTC().Format(time.DateOnly) != "2015-07-30" {
		t.Errorf("report 2015-07 (%d days, first %v):\n%s", len(rep.Days), rep.Days, out.String())
	}
	t.Logf("report:\n%s", out.String())

	var g struct {
		Day    time.Time `ch:"day"`
		Blocks uint64    `ch:"n"`
	}
	if err := def.QueryRow(ctx, "SELECT day, count() AS n FROM eth.blocks_hex WHERE day = (SELECT day FROM eth.blocks_hex WHERE number = 0) GROUP BY day").ScanStruct(&g); err != nil {
		t.Fatal(err)
	}
	if g.Day.UTC().Format(time.DateOnly) != "2015-07-30" || g.Blocks != 6912 {
		t.Errorf("blocks_hex: genesis on %s with %d blocks, want 2015-07-30 with 6912", g.Day.UTC().Format(time.DateOnly), g.Blocks)
	}
}
