package indexer_test

import (
	"compress/gzip"
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
	"github.com/ethidx/ethidx/internal/fixtures"
)

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

// fixtureServer serves every fixture of testdata/fixtures: the blocks of mainnet/ and
// mainnet-extra/ (kept in two read-only folders, combined here) and the
// era1 file's first 16,384 mainnet blocks. It returns the folder of each
// numbered fixture block, for reading it back.
func fixtureServer(t *testing.T) (*replay.Server, map[uint64]string) {
	srv := replay.New(replay.Options{})
	if n, err := srv.LoadJSONL(fixtures.Era1Path(t)); err != nil || n != 16384 {
		t.Fatalf("era1: loaded %d blocks: %v", n, err)
	}
	dirs := map[uint64]string{}
	for _, sub := range []string{fixtures.Mainnet, fixtures.MainnetExtra} {
		dir := fixtures.Dir(t, sub)
		n, err := srv.LoadFixtures(dir)
		if err != nil || n < 9 {
			t.Fatalf("loaded %d fixtures from %s: %v", n, dir, err)
		}
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if num, err := strconv.ParseUint(e.Name(), 10, 64); err == nil {
				dirs[num] = filepath.Join(dir, e.Name())
			}
		}
	}
	if len(dirs) != 53 {
		t.Fatalf("%d fixture blocks, want 53", len(dirs))
	}
	return srv, dirs
}

// Every fixture block, loaded through the replay RPC server, the
// real source (verifying roots, the default) and the real sink into the
// embedded engine, reads back exactly as the fixture's JSON says: a check
// independent of the source's decoder (plain encoding/json here).
func TestFixturesEndToEnd(t *testing.T) {
	srv, dirs := fixtureServer(t)
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx := context.Background()
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{url}, Proof: rpcsource.ProofRoots})
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := chsinktest.Conn(t)
	sink := chsink.New(conn)
	// The era1 range in one go (parent links checked across batches), then
	// each fixture block on its own.
	if _, err := indexer.Backfill(ctx, src, sink, indexer.BackfillOptions{Range: indexer.Range{From: 0, To: 16383}, BatchSize: 500}); err != nil {
		t.Fatalf("era1 range: %v", err)
	}
	for num := range dirs {
		if num <= 16383 {
			continue
		}
		if _, err := indexer.Backfill(ctx, src, sink, indexer.BackfillOptions{Range: indexer.Range{From: num, To: num}}); err != nil {
			t.Fatalf("block %d: %v", num, err)
		}
	}
	transfers := map[string]int{}
	for num, dir := range dirs {
		t.Run(strconv.FormatUint(num, 10), func(t *testing.T) {
			var block map[string]any
			var receipts []map[string]any
			readJSON(t, filepath.Join(dir, "block.json"), &block)
			readJSON(t, filepath.Join(dir, "receipts.json"), &receipts)
			checkBlock(t, conn, num, block, receipts)
			for std, n := range checkTransfers(t, conn, num, dir) {
				transfers[std] += n
			}
		})
	}
	t.Logf("token transfers in the fixtures: %v", transfers)
	if transfers["erc20"] == 0 || transfers["erc721"] == 0 || transfers["erc1155"] == 0 {
		t.Errorf("token transfers %v: want every standard", transfers)
	}
	checkEra1(t, conn, fixtures.Era1Path(t))

	// rebuild derives the same token transfers again, and a rewind removes
	// them with their logs.
	want := chsinktest.Snapshot(t, conn)["token_transfers"]
	if err := conn.Exec(ctx, "DELETE FROM token_transfers WHERE log_index % 3 = 0"); err != nil {
		t.Fatal(err)
	}
	if err := sink.RebuildDerived(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if got := chsinktest.Snapshot(t, conn)["token_transfers"]; got != want {
		t.Errorf("rebuilt token_transfers %s, the view wrote %s", got, want)
	}
	if err := sink.Rewind(ctx, 22869878); err != nil {
		t.Fatal(err)
	}
	if got := query(t, conn, "SELECT toString(count()) FROM token_transfers WHERE block_number >= 22869878"); got[0][0] != "0" {
		t.Errorf("%s token transfers left past a rewind", got[0][0])
	}
}

// checkEra1 compares every stored header field of the first 16,384 blocks
// with the era1 file, in one query.
func checkEra1(t *testing.T, conn driver.Conn, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(zr)
	var want []string
	for dec.More() {
		var line struct{ Block map[string]any }
		if err := dec.Decode(&line); err != nil {
			t.Fatal(err)
		}
		b := line.Block
		want = append(want, strings.Join([]string{hexInt(b["number"]), str(b["hash"]), str(b["parentHash"]), hexInt(b["timestamp"]),
			str(b["miner"]), hexInt(b["gasLimit"]), hexInt(b["gasUsed"]), hexInt(b["difficulty"]), hexInt(b["size"]),
			str(b["extraData"]), str(b["stateRoot"]), str(b["transactionsRoot"]), str(b["receiptsRoot"]), "0", "0"}, "|"))
	}
	rows := query(t, conn, `SELECT toString(number), concat('0x', lower(hex(hash))), concat('0x', lower(hex(parent_hash))),
		toString(toUnixTimestamp(timestamp)), concat('0x', lower(hex(miner))), toString(gas_limit), toString(gas_used),
		toString(difficulty), toString(size), concat('0x', lower(hex(extra_data))), concat('0x', lower(hex(state_root))),
		concat('0x', lower(hex(transactions_root))), concat('0x', lower(hex(receipts_root))), toString(tx_count), toString(log_count)
		FROM blocks FINAL WHERE number <= 16383 ORDER BY number`)
	if len(rows) != len(want) || len(want) != 16384 {
		t.Fatalf("%d era1 blocks stored, the file has %d", len(rows), len(want))
	}
	for i := range want {
		if got := strings.Join(rows[i], "|"); got != want[i] {
			t.Fatalf("era1 block %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := json.Unmarshal(fixtures.MustRead(t, path), v); err != nil {
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
		created := str(rc["contractAddress"])
		if hexInt(rc["status"]) == "0" { // a failed creation created nothing
			created = ""
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
			created, hexInt(rc["blobGasUsed"]), hexInt(rc["blobGasPrice"]),
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
	// A failed creation is neither a contract creation nor an address.
	var creations int
	for i, raw := range txs {
		if raw.(map[string]any)["to"] != nil {
			continue
		}
		if hexInt(receipts[i]["status"]) != "0" {
			creations++
			continue
		}
		addr := strings.TrimPrefix(str(receipts[i]["contractAddress"]), "0x")
		if got := query(t, conn, fmt.Sprintf(`SELECT toString(count()) FROM (SELECT address FROM address_first_seen
			UNION ALL SELECT address FROM address_activity) WHERE address = unhex('%s')`, addr)); got[0][0] != "0" {
			t.Errorf("tx %d: failed creation's address 0x%s counted as an address", i, addr)
		}
	}
	if got := query(t, conn, fmt.Sprintf(`SELECT toString(contract_creations) FROM blocks FINAL WHERE number = %d`, num)); got[0][0] != strconv.Itoa(creations) {
		t.Errorf("contract_creations %s, want %d successful creations", got[0][0], creations)
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
	// The signature, as signed: y_parity and chain_id follow from v for
	// legacy transactions (EIP-155), and are the node's fields otherwise
	// (yParity is v where a node leaves it out).
	gotSig := query(t, conn, fmt.Sprintf(`SELECT toString(v), toString(r), toString(s), toString(y_parity), ifNull(toString(chain_id), '')
		FROM transactions_hex WHERE block_number = %d ORDER BY tx_index`, num))
	for i, raw := range txs {
		tx := raw.(map[string]any)
		v, _ := new(big.Int).SetString(hexInt(tx["v"]), 10)
		parity, chain := hexInt(tx["yParity"]), hexInt(tx["chainId"])
		if parity == "" { // older nodes write only v, which is the parity of a typed transaction
			parity = v.String()
		}
		if typ := hexInt(tx["type"]); typ == "" || typ == "0" {
			switch {
			case v.Int64() == 27 || v.Int64() == 28:
				parity, chain = strconv.FormatInt(v.Int64()-27, 10), ""
			default:
				x := new(big.Int).Sub(v, big.NewInt(35))
				parity, chain = strconv.FormatUint(uint64(x.Bit(0)), 10), new(big.Int).Rsh(x, 1).String()
			}
		}
		want := []string{v.String(), hexInt(tx["r"]), hexInt(tx["s"]), parity, chain}
		if i >= len(gotSig) || fmt.Sprint(gotSig[i]) != fmt.Sprint(want) {
			t.Errorf("tx %d signature: got %v, want %v", i, gotSig[min(i, len(gotSig)-1)], want)
		}
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
