package export_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/export"
	"github.com/ethidx/ethidx/queries/querytest"
	"github.com/ethidx/ethidx/store"
)

// store loads querytest's chain (blocks 0-329, late November 2025 to
// mid-February 2026), with a log carrying non-UTF-8 bytes and a
// withdrawal in every block that has a transaction, and a wei value past
// 2^128, and records it as complete.
func load(t *testing.T) (driver.Conn, export.RawQuerier, []*indexer.Block) {
	t.Helper()
	ctx := context.Background()
	conn, raw := open(t)
	if err := queries.Install(ctx, conn); err != nil {
		t.Fatal(err)
	}
	chain := querytest.Chain(0, 330, 1)
	for _, b := range chain {
		b.ExtraData = []byte{0xff, 0x00, byte(b.Number)}
		b.Logs = nil // this test's own log only, not the chain's token transfers
		for i := range b.Transactions {
			b.Transactions[i].LogCount = 0
		}
		if len(b.Transactions) == 0 {
			continue
		}
		tx := &b.Transactions[0]
		tx.Input = []byte{0xa9, 0x05, 0x9c, 0xbb, 0xff}
		tx.LogCount = 1
		b.Logs = append(b.Logs, indexer.Log{BlockNumber: b.Number, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
			TxHash: tx.Hash, Address: common.BytesToAddress([]byte{1, byte(b.Number)}),
			Topics: []common.Hash{common.BytesToHash([]byte{0xdd, byte(b.Number)})}, Data: []byte{0xff, 0xfe, 0, byte(b.Number)}})
		b.Withdrawals = append(b.Withdrawals, indexer.Withdrawal{BlockNumber: b.Number, BlockTimestamp: b.Timestamp,
			Index: b.Number, ValidatorIndex: 7, Address: common.BytesToAddress([]byte{9}), AmountGwei: 32_000_000_000})
	}
	for _, b := range chain[5:] {
		if len(b.Transactions) > 0 {
			b.Transactions[0].Value = new(big.Int).Lsh(big.NewInt(3), 200)
			break
		}
	}
	sink := chsink.New(conn)
	if err := sink.Write(ctx, chain); err != nil {
		t.Fatal(err)
	}
	if err := sink.MarkDone(ctx, indexer.Range{From: 0, To: 329}); err != nil {
		t.Fatal(err)
	}
	return conn, raw, chain
}

// open opens a fresh embedded store as the CLI does, with its raw stream.
func open(t *testing.T) (driver.Conn, export.RawQuerier) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{
		Engine:   chdbtest.Open(t),
		Endpoint: sqlhttp.Config{Users: []sqlhttp.User{{Name: "default", Internal: true}}},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st.Conn, st.Raw
}

func run(t *testing.T, conn driver.Conn, raw export.RawQuerier, req export.Request) []export.Written {
	t.Helper()
	ctx := context.Background()
	done, err := chsink.New(conn).Done(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files, err := export.Plan(ctx, conn, done, req)
	if err != nil {
		t.Fatal(err)
	}
	w, err := export.Write(ctx, conn, raw, files, req.Format, req.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(req.Dir, "*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
	return w
}

func hexOf(b []byte) string { return "0x" + hex.EncodeToString(b) }

func jsonLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("%s: %v: %s", path, err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// The chain tables come out as JSON lines equal, row for row, to what was
// loaded: hashes, addresses and bytes as 0x-hex, wei as exact decimals,
// NULL as null; and as Parquet files that are whole.
func TestExportChainTables(t *testing.T) {
	conn, raw, chain := load(t)
	dir := t.TempDir()
	tables := []string{"blocks", "transactions", "logs", "withdrawals"}
	written := run(t, conn, raw, export.Request{Tables: tables, Blocks: &indexer.Range{From: 3, To: 300}, Format: "jsonl", Dir: dir})
	if len(written) != 4 {
		t.Fatalf("wrote %d files, want one per table: %v", len(written), written)
	}
	want := map[string]int{}
	txs := map[string]indexer.Transaction{}
	for _, b := range chain[3:301] {
		want["blocks"]++
		want["transactions"] += len(b.Transactions)
		want["logs"] += len(b.Logs)
		want["withdrawals"] += len(b.Withdrawals)
		for _, tx := range b.Transactions {
			txs[hexOf(tx.Hash[:])] = tx
		}
	}
	for i, table := range tables {
		name := fmt.Sprintf("%s__0000000003_to_0000000300.jsonl", table)
		if filepath.Base(written[i].Path) != name {
			t.Errorf("file %d is %s, want %s", i, written[i].Path, name)
		}
		rows := jsonLines(t, filepath.Join(dir, name))
		stored := chsinktest.Count(t, conn, fmt.Sprintf("SELECT count() FROM %s FINAL WHERE %s BETWEEN 3 AND 300",
			table, map[bool]string{true: "number", false: "block_number"}[table == "blocks"]))
		if len(rows) != want[table] || uint64(len(rows)) != stored {
			t.Errorf("%s: %d rows exported, %d loaded, %d stored", table, len(rows), want[table], stored)
		}
		switch table {
		case "blocks":
			if got, w := rows[0]["extra_data"], hexOf(chain[3].ExtraData); got != w || rows[0]["hash"] != hexOf(chain[3].Hash[:]) {
				t.Errorf("block 3: extra_data %v hash %v, want %s %s", got, rows[0]["hash"], w, hexOf(chain[3].Hash[:]))
			}
		case "transactions":
			bigSeen := false
			for _, r := range rows {
				tx, ok := txs[r["hash"].(string)]
				if !ok {
					t.Fatalf("exported transaction %v was not loaded", r["hash"])
				}
				if r["value"] != tx.Value.String() || r["from"] != hexOf(tx.From[:]) || r["input"] != hexOf(tx.Input) {
					t.Errorf("transaction %s: value %v from %v input %v, want %s %s %s", r["hash"], r["value"], r["from"], r["input"],
						tx.Value, hexOf(tx.From[:]), hexOf(tx.Input))
				}
				if (tx.To == nil) != (r["to"] == nil) {
					t.Errorf("transaction %s: to %v, loaded %v", r["hash"], r["to"], tx.To)
				}
				if n, ok := r["block_number"].(json.Number); !ok || n.String() != fmt.Sprint(tx.BlockNumber) {
					t.Errorf("transaction %s: block_number %#v, want the number %d", r["hash"], r["block_number"], tx.BlockNumber)
				}
				if ts, err := time.Parse(time.RFC3339, fmt.Sprint(r["block_timestamp"])); err != nil || ts.Unix() != int64(tx.BlockTimestamp) {
					t.Errorf("transaction %s: block_timestamp %v, want %s", r["hash"], r["block_timestamp"], time.Unix(int64(tx.BlockTimestamp), 0).UTC())
				}
				bigSeen = bigSeen || len(r["value"].(string)) > 39
			}
			if !bigSeen {
				t.Error("the 3·2^200 wei value was not exported exactly")
			}
		case "logs":
			b := chain[3]
			if len(b.Logs) == 0 {
				b = chain[4]
			}
			if rows[0]["data"] != hexOf(b.Logs[0].Data) || rows[0]["topic0"] != hexOf(b.Logs[0].Topics[0][:]) || rows[0]["topic1"] != nil {
				t.Errorf("first log: %v, want data %s topic0 %s topic1 null", rows[0], hexOf(b.Logs[0].Data), hexOf(b.Logs[0].Topics[0][:]))
			}
		}
	}

	// The same as Parquet: whole files (magic at both ends), replacing
	// nothing but themselves.
	pq := t.TempDir()
	for _, w := range run(t, conn, raw, export.Request{Tables: tables, Blocks: &indexer.Range{From: 3, To: 300}, Format: "parquet", Dir: pq}) {
		b, err := os.ReadFile(w.Path)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) < 12 || string(b[:4]) != "PAR1" || string(b[len(b)-4:]) != "PAR1" || int64(len(b)) != w.Bytes {
			t.Errorf("%s: not a whole Parquet file (%d bytes, %d reported)", w.Path, len(b), w.Bytes)
		}
	}
}

// A day range comes out per calendar month, each day's figures those of
// the saved view.
func TestExportDailyByMonth(t *testing.T) {
	conn, raw, chain := load(t)
	dir := t.TempDir()
	written := run(t, conn, raw, export.Request{Tables: []string{"daily_activity"},
		From: date(2025, 12, 10), To: date(2026, 1, 31), Format: "csv", Dir: dir})
	if len(written) != 2 || filepath.Base(written[0].Path) != "daily_activity__2025-12-10_to_2025-12-31.csv" ||
		filepath.Base(written[1].Path) != "daily_activity__2026-01-01_to_2026-01-31.csv" {
		t.Fatalf("files %v, want December from the 10th and January", written)
	}
	want := map[string]querytest.DayRow{}
	for _, d := range querytest.ExpectDaily(chain) {
		want[d.Day.Format(time.DateOnly)] = d
	}
	days := 0
	for _, w := range written {
		f, err := os.Open(w.Path)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range recs[0] {
			col[h] = i
		}
		for _, r := range recs[1:] {
			days++
			d := want[r[col["day"]]]
			if r[col["tx_count"]] != fmt.Sprint(d.TxCount) || r[col["active_addresses"]] != fmt.Sprint(d.ActiveAddresses) {
				t.Errorf("%s: tx_count %s active %s, want %d %d", r[col["day"]], r[col["tx_count"]], r[col["active_addresses"]], d.TxCount, d.ActiveAddresses)
			}
		}
	}
	if days != 22+31 {
		t.Errorf("%d days exported, want 53", days)
	}
}

// Only completely indexed ranges are exported; requests no store could
// answer are bad input.
func TestExportRefuses(t *testing.T) {
	conn, _, _ := load(t)
	ctx := context.Background()
	done, err := chsink.New(conn).Done(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		req  export.Request
		want error
	}{
		{export.Request{Tables: []string{"blocks"}, Blocks: &indexer.Range{From: 300, To: 400}}, export.ErrIncomplete},
		// The last stored day has no next day's block yet: incomplete.
		{export.Request{Tables: []string{"transactions"}, From: date(2026, 2, 1), To: date(2026, 2, 28)}, export.ErrIncomplete},
		{export.Request{Tables: []string{"daily_activity"}, From: date(2025, 11, 1), To: date(2025, 12, 31)}, export.ErrIncomplete},
		{export.Request{Tables: []string{"daily_activity"}, Blocks: &indexer.Range{From: 0, To: 10}}, queries.ErrInput},
		{export.Request{Tables: []string{"monthly_growth"}, From: date(2025, 12, 2), To: date(2026, 1, 31)}, queries.ErrInput},
		{export.Request{Tables: []string{"nope"}, Blocks: &indexer.Range{From: 0, To: 10}}, queries.ErrInput},
		{export.Request{Tables: []string{"blocks"}, Blocks: &indexer.Range{From: 0, To: 10}, Format: "xml"}, queries.ErrInput},
	} {
		if c.req.Format == "" {
			c.req.Format = "csv"
		}
		_, err := export.Plan(ctx, conn, done, c.req)
		if !errors.Is(err, c.want) {
			t.Errorf("%+v: %v, want %v", c.req, err, c.want)
		}
	}
}

// The files of a chain table follow the table's partitions in schema/.
func TestPartitionsAreTheTables(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	body, err := os.ReadFile("sql/partition_key.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range export.Tables() {
		if !tb.ByBlock() {
			continue
		}
		var key string
		ctx := clickhouse.Context(context.Background(), clickhouse.WithParameters(clickhouse.Parameters{"table": tb.Name}))
		if err := conn.QueryRow(ctx, string(body)).Scan(&key); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(key, "intDiv(") || !strings.HasSuffix(key, fmt.Sprintf(", %d)", tb.Size)) {
			t.Errorf("%s: exported in runs of %d blocks, partitioned by %s", tb.Name, tb.Size, key)
		}
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// A statement that fails after its output began fails the stream (the
// engine reports it in-band, at the end), so no file is kept.
func TestStreamFailsMidway(t *testing.T) {
	_, raw := open(t)
	var out bytes.Buffer
	err := raw.RawQueryWith(context.Background(),
		"SELECT number, throwIf(number = 300000, 'boom') FROM numbers(400000) SETTINGS max_block_size = 1000 FORMAT CSV", nil, nil, &out)
	if err == nil || !strings.Contains(err.Error(), "boom") || out.Len() == 0 {
		t.Errorf("err %v after %d bytes, want the engine's error after some output", err, out.Len())
	}
}
