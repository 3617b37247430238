package chsink_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/cluster"
	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/schema"
	"github.com/ethidx/ethidx/store/inspect"
)

func TestWriteRewindIdempotent(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	q := func(sql string) uint64 {
		t.Helper()
		var n uint64
		if err := conn.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	blocks := chsinktest.Blocks(100, 10, 0)
	for i := 0; i < 2; i++ { // the second write must change nothing visible
		if err := sink.Write(ctx, blocks); err != nil {
			t.Fatal(err)
		}
		if err := sink.MarkDone(ctx, indexer.Range{From: 100, To: 109}); err != nil {
			t.Fatal(err)
		}
	}
	for sql, want := range map[string]uint64{
		"SELECT count() FROM blocks FINAL":                                           10,
		"SELECT count() FROM transactions FINAL":                                     30,
		"SELECT count() FROM logs FINAL":                                             50,
		"SELECT count() FROM withdrawals FINAL":                                      10,
		"SELECT count() FROM transactions FINAL WHERE isNull(status)":                0,
		"SELECT count() FROM transactions FINAL WHERE isNull(to)":                    10,
		"SELECT count() FROM transactions FINAL WHERE value = pow(2, 200)":           10,
		"SELECT sum(length(auth_addresses)) FROM transactions FINAL":                 10,
		"SELECT sum(length(access_list_storage_keys[1])) FROM transactions FINAL":    20,
		"SELECT count() FROM logs FINAL WHERE isNull(topic0)":                        10,
		"SELECT count() FROM logs FINAL WHERE topic_count = 4 AND isNotNull(topic3)": 10,
		"SELECT sum(tx_success_count) FROM blocks FINAL":                             20,
		"SELECT sum(contract_creations) FROM blocks FINAL":                           10,
		"SELECT toUInt64(sum(burned_wei)) FROM blocks FINAL":                         10 * 63000 * 7,
		"SELECT uniqExact(address) FROM address_first_seen":                          1 + 1 + 10 + 10,
		"SELECT countDistinct(day, address, is_sender) FROM address_activity":        1 + 1 + 10 + 10,
	} {
		if got := q(sql); got != want {
			t.Errorf("%s = %d, want %d", sql, got, want)
		}
	}
	done, err := sink.Done(ctx)
	if err != nil || len(done) != 1 || done[0] != (indexer.Range{From: 100, To: 109}) {
		t.Fatalf("Done = %v, %v", done, err)
	}
	hashes, err := sink.Hashes(ctx, 100, 109)
	if err != nil || len(hashes) != 10 || hashes[105] != blocks[5].Hash {
		t.Fatalf("Hashes = %v, %v", hashes, err)
	}
	audit, err := inspect.Audit(ctx, conn, 100, 109)
	if err != nil || audit[103].TxRows != 3 || audit[103].LogRows != 5 || audit[103].Hash != blocks[3].Hash {
		t.Fatalf("Audit = %+v, %v", audit[103], err)
	}

	// Rewind past 105 and write a different fork with fewer rows.
	if err := sink.Rewind(ctx, 105); err != nil {
		t.Fatal(err)
	}
	if past, err := sink.RowsPast(ctx, 105); err != nil || past {
		t.Fatalf("RowsPast after rewind = %v, %v", past, err)
	}
	fork := chsinktest.Blocks(105, 2, 1)
	fork[0].Transactions = fork[0].Transactions[:1]
	if err := sink.Write(ctx, fork); err != nil {
		t.Fatal(err)
	}
	for sql, want := range map[string]uint64{
		"SELECT count() FROM blocks FINAL":       7,
		"SELECT count() FROM transactions FINAL": 5*3 + 1 + 3,
		// every remaining transaction belongs to the block stored at its height
		"SELECT count() FROM transactions AS t FINAL LEFT JOIN (SELECT number, hash FROM blocks FINAL) AS b " +
			"ON t.block_number = b.number WHERE t.block_hash != b.hash": 0,
		// addresses of blocks 107–109 (to and created contract) are gone
		// from the rollups; 106's created contract is back via the fork.
		"SELECT uniqExact(address) FROM address_first_seen": 1 + 1 + 7 + 6,
	} {
		if got := q(sql); got != want {
			t.Errorf("after reorg: %s = %d, want %d", sql, got, want)
		}
	}
	done, _ = sink.Done(ctx)
	if len(done) != 1 || done[0] != (indexer.Range{From: 100, To: 104}) {
		t.Errorf("Done after rewind = %v, want 100-104 (the completed range, cut at the fork)", done)
	}
}

// Migrating an up-to-date database applies nothing and fails nothing.
func TestMigrateTwice(t *testing.T) {
	conn, _ := chsinktest.Conn(t)
	n, err := schema.Migrate(context.Background(), conn)
	if err != nil || n != 0 {
		t.Fatalf("second migrate applied %d, err %v; want 0, nil", n, err)
	}
}

// RebuildDerived repairs address tables that lost rows or gained wrong
// ones, from a block on or from genesis, to exactly what the materialized
// views produced.
func TestRebuildDerived(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	if err := sink.Write(ctx, chsinktest.Blocks(100, 10, 0)); err != nil {
		t.Fatal(err)
	}
	want := chsinktest.Snapshot(t, conn)
	check := func(what string) {
		t.Helper()
		got := chsinktest.Snapshot(t, conn)
		for _, table := range []string{"address_activity", "address_first_seen"} {
			if got[table] != want[table] {
				t.Errorf("%s: %s = %s, want %s", what, table, got[table], want[table])
			}
		}
	}
	for _, tc := range []struct {
		from    uint64
		corrupt []string
	}{
		{105, []string{
			"DELETE FROM address_activity WHERE first_block >= 107",
			// a wrong, too-late first appearance and one that never happened
			"INSERT INTO address_first_seen SELECT address, first_block + 1, first_time FROM address_first_seen WHERE first_block = 108",
			"INSERT INTO address_activity VALUES ('2026-01-01', unhex('00000000000000000000000000000000000000ff'), 0, 106)",
		}},
		{0, []string{"TRUNCATE TABLE address_first_seen", "DELETE FROM address_activity WHERE is_sender = 1"}},
	} {
		for _, q := range tc.corrupt {
			if err := conn.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := chsinktest.Snapshot(t, conn); got["address_activity"] == want["address_activity"] {
			t.Fatalf("corrupting %v changed nothing", tc.corrupt)
		}
		if err := sink.RebuildDerived(ctx, tc.from); err != nil {
			t.Fatal(err)
		}
		check("rebuilt from block " + strconv.FormatUint(tc.from, 10))
	}
}

// A batch that spans two runs of cluster.ShardRun blocks is written as one
// insert per run and table, each under its own token, and every row lands.
func TestWriteSplitsAtShardRuns(t *testing.T) {
	ctx := context.Background()
	conn, _ := chsinktest.Conn(t)
	form, _ := cluster.New("c1")
	tokens := map[string][]string{}
	shadow := cluster.Shadow(conn, form, func(s cluster.Statement) {
		if strings.HasPrefix(s.Original, "INSERT INTO transactions ") {
			tokens["transactions"] = append(tokens["transactions"], s.InsertToken)
		}
	})
	blocks := chsinktest.Blocks(cluster.ShardRun-3, 6, 0)
	if err := chsink.New(shadow).Write(ctx, blocks); err != nil {
		t.Fatal(err)
	}
	got := tokens["transactions"]
	if len(got) != 2 || got[0] == got[1] || got[0] == "" {
		t.Errorf("transactions inserts and their tokens: %q, want two distinct", got)
	}
	if n := chsinktest.Count(t, conn, "SELECT count() FROM transactions FINAL"); n != 18 {
		t.Errorf("%d transaction rows stored, want 18", n)
	}
}
