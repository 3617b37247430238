package indexer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/chsink/chsinktest"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

func fixturesDir(t *testing.T) string {
	if d := os.Getenv("ETHIDX_FIXTURES"); d != "" {
		return d
	}
	d, err := filepath.Abs("../../shared/fixtures/mainnet")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// hexInt renders a JSON-RPC quantity ("0x1a") as a decimal string; absent
// or null is "".
func hexInt(v any) string {
	s, ok := v.(string)
	if !ok {
		return ""
	}
	n, ok := new(big.Int).SetString(strings.TrimPrefix(s, "0x"), 16)
	if !ok {
		return "bad:" + s
	}
	return n.String()
}

func str(v any) string {
	if s, ok := v.(string); ok {
		return strings.ToLower(s)
	}
	return ""
}

// Every mainnet fixture block, loaded through the replay RPC server, the
// real source and the real sink into the embedded engine, reads back from
// the hex views exactly as the fixture's JSON says: a check independent of
// the source's decoder (plain encoding/json here).
func TestFixturesEndToEnd(t *testing.T) {
	dir := fixturesDir(t)
	srv := replay.New(replay.Options{})
	n, err := srv.LoadFixtures(dir)
	if err != nil || n < 9 {
		t.Fatalf("loaded %d fixtures from %s: %v", n, dir, err)
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := chsinktest.Conn(t)
	for _, num := range srv.Numbers() {
		if _, err := indexer.Backfill(ctx, src, chsink.New(conn), indexer.BackfillOptions{Range: indexer.Range{From: num, To: num}}); err != nil {
			t.Fatalf("block %d: %v", num, err)
		}
	}
	for _, num := range srv.Numbers() {
		t.Run(strconv.FormatUint(num, 10), func(t *testing.T) {
			var block map[string]any
			var receipts []map[string]any
			readJSON(t, filepath.Join(dir, strconv.FormatUint(num, 10), "block.json"), &block)
			readJSON(t, filepath.Join(dir, strconv.FormatUint(num, 10), "receipts.json"), &receipts)
			checkBlock(t, conn, num, block, receipts)
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

type chsinkConn = driver.Conn

// query returns a query's rows, every column already cast to String in SQL.
func query(t *testing.T, conn driver.Conn, q string) [][]string {
	t.Helper()
	rows, err := conn.Query(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][]string
	n := len(rows.Columns())
	for rows.Next() {
		vals := make([]string, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func checkBlock(t *testing.T, conn chsinkConn, num uint64, block map[string]any, receipts []map[string]any) {
	txs := block["transactions"].([]any)
	want := [][]string{}
	var wantLogs [][]string
	for i, raw := range txs {
		tx := raw.(map[string]any)
		rc := receipts[i]
		var blobs []string
		if bh, ok := tx["blobVersionedHashes"].([]any); ok {
			for _, h := range bh {
				blobs = append(blobs, str(h))
			}
		}
		typ := hexInt(tx["type"])
		if typ == "" {
			typ = "0"
		}
		want = append(want, []string{
			strconv.Itoa(i), str(tx["hash"]), typ, str(tx["from"]), str(tx["to"]), hexInt(tx["nonce"]),
			hexInt(tx["value"]), hexInt(tx["gas"]), hexInt(tx["gasPrice"]), hexInt(tx["maxFeePerGas"]),
			hexInt(tx["maxPriorityFeePerGas"]), hexInt(tx["maxFeePerBlobGas"]),
			strconv.Itoa((len(str(tx["input"])) - 2) / 2), strings.Join(blobs, ","),
			hexInt(rc["status"]), hexInt(rc["gasUsed"]), hexInt(rc["cumulativeGasUsed"]),
			str(rc["contractAddress"]), hexInt(rc["blobGasUsed"]), hexInt(rc["blobGasPrice"]),
			strconv.Itoa(len(rc["logs"].([]any))),
		})
		if eg := hexInt(rc["effectiveGasPrice"]); eg != "" {
			want[i] = append(want[i], eg)
		} else {
			want[i] = append(want[i], "-")
		}
		for _, l := range rc["logs"].([]any) {
			lg := l.(map[string]any)
			topics := lg["topics"].([]any)
			row := []string{hexInt(lg["logIndex"]), strconv.Itoa(i), str(lg["transactionHash"]), str(lg["address"])}
			for k := 0; k < 4; k++ {
				if k < len(topics) {
					row = append(row, str(topics[k]))
				} else {
					row = append(row, "")
				}
			}
			wantLogs = append(wantLogs, append(row, str(lg["data"])))
		}
	}
	got := query(t, conn, fmt.Sprintf(`SELECT toString(tx_index), hash, toString(type), from, ifNull(to, ''), toString(nonce),
		toString(value_wei), toString(gas), toString(gas_price), ifNull(toString(max_fee_per_gas), ''),
		ifNull(toString(max_priority_fee_per_gas), ''), ifNull(toString(max_fee_per_blob_gas), ''),
		toString(input_size), arrayStringConcat(blob_versioned_hashes, ','),
		ifNull(toString(status), ''), toString(gas_used), toString(cumulative_gas_used),
		ifNull(contract_address, ''), ifNull(toString(blob_gas_used), ''), ifNull(toString(blob_gas_price), ''),
		toString(log_count), toString(effective_gas_price)
		FROM transactions_hex WHERE block_number = %d ORDER BY tx_index`, num))
	if len(got) != len(want) {
		t.Fatalf("%d transactions stored, fixture has %d", len(got), len(want))
	}
	for i := range want {
		if want[i][len(want[i])-1] == "-" { // old receipts lack effectiveGasPrice: derived, so not compared
			want[i][len(want[i])-1] = got[i][len(got[i])-1]
		}
		if strings.Join(got[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("tx %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
	gotLogs := query(t, conn, fmt.Sprintf(`SELECT toString(log_index), toString(tx_index), tx_hash, address,
		ifNull(topic0, ''), ifNull(topic1, ''), ifNull(topic2, ''), ifNull(topic3, ''), data
		FROM logs_hex WHERE block_number = %d ORDER BY log_index`, num))
	if len(gotLogs) != len(wantLogs) {
		t.Fatalf("%d logs stored, fixture has %d", len(gotLogs), len(wantLogs))
	}
	for i := range wantLogs {
		if strings.Join(gotLogs[i], "|") != strings.Join(wantLogs[i], "|") {
			t.Errorf("log %d:\n got %v\nwant %v", i, gotLogs[i], wantLogs[i])
		}
	}
	var wantW [][]string
	if ws, ok := block["withdrawals"].([]any); ok {
		for _, w := range ws {
			m := w.(map[string]any)
			wantW = append(wantW, []string{hexInt(m["index"]), hexInt(m["validatorIndex"]), str(m["address"]), hexInt(m["amount"])})
		}
	}
	gotW := query(t, conn, fmt.Sprintf(`SELECT toString(withdrawal_index), toString(validator_index), address, toString(amount_gwei)
		FROM withdrawals_hex WHERE block_number = %d ORDER BY withdrawal_index`, num))
	if fmt.Sprint(gotW) != fmt.Sprint(wantW) && !(len(gotW) == 0 && len(wantW) == 0) {
		t.Errorf("withdrawals:\n got %v\nwant %v", gotW, wantW)
	}
	gotB := query(t, conn, fmt.Sprintf(`SELECT hash, parent_hash, miner, toString(toUnixTimestamp(timestamp)), toString(gas_used),
		ifNull(toString(base_fee_per_gas), ''), ifNull(toString(blob_gas_used), ''), toString(tx_count), toString(withdrawal_count)
		FROM blocks_hex WHERE number = %d`, num))
	wantB := [][]string{{str(block["hash"]), str(block["parentHash"]), str(block["miner"]), hexInt(block["timestamp"]),
		hexInt(block["gasUsed"]), hexInt(block["baseFeePerGas"]), hexInt(block["blobGasUsed"]),
		strconv.Itoa(len(txs)), strconv.Itoa(len(wantW))}}
	if fmt.Sprint(gotB) != fmt.Sprint(wantB) {
		t.Errorf("block:\n got %v\nwant %v", gotB, wantB)
	}

	// The bytes and lists the hex views summarise, from the base tables.
	gotHdr := query(t, conn, fmt.Sprintf(`SELECT toString(gas_limit), toString(difficulty), toString(size),
		concat('0x', lower(hex(extra_data))), concat('0x', lower(hex(state_root))), concat('0x', lower(hex(transactions_root))),
		concat('0x', lower(hex(receipts_root))), ifNull(toString(excess_blob_gas), ''),
		ifNull(concat('0x', lower(hex(parent_beacon_block_root))), ''), ifNull(concat('0x', lower(hex(withdrawals_root))), '')
		FROM blocks FINAL WHERE number = %d`, num))
	wantHdr := [][]string{{hexInt(block["gasLimit"]), hexInt(block["difficulty"]), hexInt(block["size"]), str(block["extraData"]),
		str(block["stateRoot"]), str(block["transactionsRoot"]), str(block["receiptsRoot"]), hexInt(block["excessBlobGas"]),
		str(block["parentBeaconBlockRoot"]), str(block["withdrawalsRoot"])}}
	if fmt.Sprint(gotHdr) != fmt.Sprint(wantHdr) {
		t.Errorf("block header:\n got %v\nwant %v", gotHdr, wantHdr)
	}
	gotBytes := query(t, conn, fmt.Sprintf(`SELECT concat('0x', lower(hex(input))),
		arrayStringConcat(arrayMap((a, ks) -> concat('0x', lower(hex(a)), ':', arrayStringConcat(arrayMap(k -> concat('0x', lower(hex(k))), ks), ';')),
			access_list_addresses, access_list_storage_keys), ',')
		FROM transactions FINAL WHERE block_number = %d ORDER BY tx_index`, num))
	for i, raw := range txs {
		tx := raw.(map[string]any)
		var al []string
		if list, ok := tx["accessList"].([]any); ok {
			for _, e := range list {
				entry := e.(map[string]any)
				var keys []string
				for _, k := range entry["storageKeys"].([]any) {
					keys = append(keys, str(k))
				}
				al = append(al, str(entry["address"])+":"+strings.Join(keys, ";"))
			}
		}
		want := []string{str(tx["input"]), strings.Join(al, ",")}
		if i >= len(gotBytes) || fmt.Sprint(gotBytes[i]) != fmt.Sprint(want) {
			t.Errorf("tx %d input and access list differ from the fixture", i)
		}
	}
}
