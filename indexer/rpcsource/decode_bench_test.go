package rpcsource

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/ethidx/ethidx/indexer/replay"
)

// The JSON paths compared (results in the package report, reproduce with
// go test -run - -bench Decode -benchmem):
//
//	fast         DecodeBlock: the purpose-built reader of scan.go
//	encodingjson encoding/json into structs of hexutil types (refDecode)
//	gethtypes    encoding/json into go-ethereum's types.Transaction and
//	             types.Receipt (no sender, no row conversion: a lower bound)
//
// Each op decodes a set of blocks with their receipts; tx/s is reported.

// generatedSet returns n mainnet-shaped blocks of ~300 transactions.
func generatedSet(b testing.TB, n int) []fixture {
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1000, Count: uint64(n), Seed: 3}); err != nil {
		b.Fatal(err)
	}
	var out []fixture
	for i := uint64(1000); i < 1000+uint64(n); i++ {
		blk, rec, _ := srv.BlockJSON(i)
		out = append(out, fixture{i, blk, rec})
	}
	return out
}

func BenchmarkDecode(b *testing.B) {
	sets := map[string][]fixture{
		"fixtures":  loadFixtures(b),
		"generated": generatedSet(b, 8),
	}
	decoders := map[string]func(blk, rec []byte) (int, error){
		"fast": func(blk, rec []byte) (int, error) {
			bl, err := DecodeBlock(blk, rec, ProofStructure)
			if err != nil {
				return 0, err
			}
			return len(bl.Transactions), nil
		},
		"fast+roots": func(blk, rec []byte) (int, error) {
			bl, err := DecodeBlock(blk, rec, ProofRoots)
			if err != nil {
				return 0, err
			}
			return len(bl.Transactions), nil
		},
		"fast+senders": func(blk, rec []byte) (int, error) {
			bl, err := DecodeBlock(blk, rec, ProofSenders)
			if err != nil {
				return 0, err
			}
			return len(bl.Transactions), nil
		},
		"encodingjson": func(blk, rec []byte) (int, error) {
			bl, err := refDecode(blk, rec)
			if err != nil {
				return 0, err
			}
			return len(bl.Transactions), nil
		},
		"gethtypes": func(blk, rec []byte) (int, error) {
			var body struct {
				Transactions []*types.Transaction `json:"transactions"`
			}
			if err := json.Unmarshal(blk, &body); err != nil {
				return 0, err
			}
			var rs []*types.Receipt
			if err := json.Unmarshal(rec, &rs); err != nil {
				return 0, err
			}
			return len(body.Transactions), nil
		},
	}
	for _, set := range []string{"fixtures", "generated"} {
		for _, dec := range []string{"fast", "fast+roots", "fast+senders", "encodingjson", "gethtypes"} {
			if set == "generated" && dec == "fast+senders" {
				continue // generated signatures are random bytes: no sender to recover
			}
			b.Run(set+"/"+dec, func(b *testing.B) {
				fs, fn := sets[set], decoders[dec]
				bytes := 0
				for _, f := range fs {
					bytes += len(f.block) + len(f.receipts)
				}
				b.SetBytes(int64(bytes))
				b.ReportAllocs()
				txs := 0
				start := time.Now()
				for b.Loop() {
					for _, f := range fs {
						n, err := fn(f.block, f.receipts)
						if err != nil {
							b.Fatalf("block %d: %v", f.number, err)
						}
						txs += n
					}
				}
				b.ReportMetric(float64(txs)/time.Since(start).Seconds(), "tx/s")
			})
		}
	}
}

// BenchmarkBlocks measures the whole fetch path (HTTP, batching, decoding,
// checks) against an in-process replay server serving pre-encoded
// mainnet-shaped blocks, through the lean HTTP transport and through
// go-ethereum's rpc client. The server shares the CPU, so this understates
// what the source alone can do.
func BenchmarkBlocks(b *testing.B) {
	const count = 64
	srv := replay.New(replay.Options{CacheBlocks: count + 8})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: count, Seed: 5}); err != nil {
		b.Fatal(err)
	}
	for n := uint64(1); n <= count; n++ {
		srv.BlockJSON(n)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	for _, transport := range []string{"http", "rpcclient"} {
		b.Run(transport, func(b *testing.B) {
			src, err := New(context.Background(), Options{URLs: []string{hs.URL}})
			if err != nil {
				b.Fatal(err)
			}
			defer src.Close()
			if transport == "rpcclient" {
				src.eps[0].http = nil
			}
			b.ReportAllocs()
			txs := 0
			start := time.Now()
			for b.Loop() {
				for from := uint64(1); from <= count; from += 8 {
					bs, err := src.Blocks(context.Background(), from, from+7)
					if err != nil {
						b.Fatal(err)
					}
					for _, bl := range bs {
						txs += len(bl.Transactions)
					}
				}
			}
			b.ReportMetric(float64(txs)/time.Since(start).Seconds(), "tx/s")
		})
	}
}
