package sqlhttp_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

func openClickHouse(t testing.TB, addr string, comp *clickhouse.Compression) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{addr},
		Protocol:    clickhouse.HTTP,
		Compression: comp,
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

const wideTable = `CREATE TABLE wide (
	id UInt64,
	addr FixedString(20),
	value UInt256,
	note Nullable(String),
	amount Nullable(UInt64),
	kind LowCardinality(String),
	ts DateTime,
	topics Array(FixedString(32))
) ENGINE = MergeTree ORDER BY id`

// wideRow generates row i deterministically. Binary columns are full of
// 0x00, 0x0a and other bytes that break naive text handling.
type wideRow struct {
	id     uint64
	addr   string
	value  *big.Int
	note   *string
	amount *uint64
	kind   string
	ts     time.Time
	topics []string
}

var kinds = []string{"transfer", "swap", "mint", "burn", "approve"}

func makeRow(i uint64) wideRow {
	seed := sha256.Sum256(binary.LittleEndian.AppendUint64(nil, i))
	r := wideRow{id: i, addr: string(seed[:20]), kind: kinds[i%5], ts: time.Unix(1_700_000_000+int64(i), 0).UTC()}
	r.value = new(big.Int).SetBytes(seed[:])
	if i%3 != 0 {
		s := fmt.Sprintf("note-%d\n\t'\"", i)
		r.note = &s
	}
	if i%4 != 0 {
		a := i * 1_000_003
		r.amount = &a
	}
	for k := range int(i % 4) {
		t := sha256.Sum256(append(seed[:], byte(k)))
		r.topics = append(r.topics, string(t[:]))
	}
	return r
}

func (r wideRow) hash(h hash.Hash) {
	fmt.Fprintf(h, "%d|%x|%s|", r.id, r.addr, r.value)
	if r.note != nil {
		fmt.Fprintf(h, "%q|", *r.note)
	} else {
		h.Write([]byte("null|"))
	}
	if r.amount != nil {
		fmt.Fprintf(h, "%d|", *r.amount)
	} else {
		h.Write([]byte("null|"))
	}
	fmt.Fprintf(h, "%s|%d|%x\n", r.kind, r.ts.Unix(), r.topics)
}

func TestClickHouseGoMillionRows(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{})
	conn := openClickHouse(t, addr, nil)
	ctx := context.Background()
	if err := conn.Exec(ctx, wideTable); err != nil {
		t.Fatal(err)
	}
	const rows, batchRows = 1_000_000, 100_000
	want := sha256.New()
	start := time.Now()
	var sending time.Duration
	for b := uint64(0); b < rows; b += batchRows {
		batch, err := conn.PrepareBatch(ctx, "INSERT INTO wide")
		if err != nil {
			t.Fatal(err)
		}
		for i := b; i < b+batchRows; i++ {
			r := makeRow(i)
			r.hash(want)
			if err := batch.Append(r.id, r.addr, r.value, r.note, r.amount, r.kind, r.ts, r.topics); err != nil {
				t.Fatal(err)
			}
		}
		sent := time.Now()
		if err := batch.Send(); err != nil {
			t.Fatal(err)
		}
		sending += time.Since(sent)
	}
	t.Logf("inserted %d rows in %v (%v of it in batch.Send)", rows, time.Since(start), sending)

	start = time.Now()
	res, err := conn.Query(ctx, "SELECT id, addr, value, note, amount, kind, ts, topics FROM wide ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	got := sha256.New()
	n := 0
	for res.Next() {
		var r wideRow
		r.value = new(big.Int)
		if err := res.Scan(&r.id, &r.addr, r.value, &r.note, &r.amount, &r.kind, &r.ts, &r.topics); err != nil {
			t.Fatal(err)
		}
		if len(r.topics) == 0 {
			r.topics = nil
		}
		r.hash(got)
		if r.id != uint64(n) {
			t.Fatalf("row %d has id %d", n, r.id)
		}
		if n%250_000 == 0 { // spot check whole rows, for a readable failure
			w := makeRow(uint64(n))
			if r.addr != w.addr || r.value.Cmp(w.value) != 0 || r.kind != w.kind || !r.ts.Equal(w.ts) || len(r.topics) != len(w.topics) {
				t.Fatalf("row %d: got %+v want %+v", n, r, w)
			}
		}
		n++
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("read back %d rows in %v", n, time.Since(start))
	if n != rows {
		t.Fatalf("read %d rows, want %d", n, rows)
	}
	if string(got.Sum(nil)) != string(want.Sum(nil)) {
		t.Fatal("checksum of rows read back differs from rows inserted")
	}
}

func TestClickHouseGoQueries(t *testing.T) {
	for _, comp := range []*clickhouse.Compression{
		nil,
		{Method: clickhouse.CompressionLZ4},
		{Method: clickhouse.CompressionZSTD},
		{Method: clickhouse.CompressionGZIP},
		{Method: clickhouse.CompressionDeflate},
		{Method: clickhouse.CompressionBrotli},
	} {
		name := "none"
		if comp != nil {
			name = comp.Method.String()
		}
		t.Run(name, func(t *testing.T) {
			addr, _ := sqlhttptest.Start(t, sqlhttp.Config{})
			conn := openClickHouse(t, addr, comp)
			ctx := context.Background()
			if err := conn.Ping(ctx); err != nil {
				t.Fatal(err)
			}
			if err := conn.Exec(ctx, wideTable); err != nil {
				t.Fatal(err)
			}
			batch, err := conn.PrepareBatch(ctx, "INSERT INTO wide (id, addr, value, note, amount, kind, ts, topics)")
			if err != nil {
				t.Fatal(err)
			}
			for i := range uint64(5000) {
				r := makeRow(i)
				if err := batch.Append(r.id, r.addr, r.value, r.note, r.amount, r.kind, r.ts, r.topics); err != nil {
					t.Fatal(err)
				}
			}
			if err := batch.Send(); err != nil {
				t.Fatal(err)
			}

			// Server-side parameters.
			pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"kind": "swap", "below": "1000"}))
			var count uint64
			if err := conn.QueryRow(pctx, "SELECT count() FROM wide WHERE kind = {kind:String} AND id < {below:UInt64}").Scan(&count); err != nil {
				t.Fatal(err)
			}
			if count != 200 {
				t.Fatalf("parameterized count = %d, want 200", count)
			}
			var sum big.Int
			if err := conn.QueryRow(ctx, "SELECT sum(value) FROM wide").Scan(&sum); err != nil {
				t.Fatal(err)
			}
			want := new(big.Int)
			for i := range uint64(5000) {
				want.Add(want, makeRow(i).value)
			}
			want.Mod(want, new(big.Int).Lsh(big.NewInt(1), 256))
			if sum.Cmp(want) != 0 {
				t.Fatalf("sum(value) = %s, want %s", &sum, want)
			}

			// Errors come back typed.
			err = conn.Exec(ctx, "SELEC 1")
			var ex *clickhouse.Exception
			if !errors.As(err, &ex) || ex.Code != 62 {
				t.Fatalf("bad SQL: got %v (%T), want *clickhouse.Exception code 62", err, err)
			}
			_, err = conn.Query(ctx, "SELECT * FROM nope")
			if !errors.As(err, &ex) || ex.Code != 60 {
				t.Fatalf("missing table: got %v, want code 60", err)
			}
			// A failure after output started arrives in-band.
			rows, err := conn.Query(ctx, "SELECT throwIf(number = 200000, 'boom') FROM numbers(300000) SETTINGS max_block_size = 1000")
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if !errors.As(err, &ex) || ex.Code != 395 {
				t.Fatalf("mid-stream error: got %v, want code 395", err)
			}
		})
	}
}
