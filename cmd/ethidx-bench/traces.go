package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

// benchTraces measures what --traces costs: a dev chain (go-ethereum, which
// answers debug_traceBlockByHash with its call tracer) of n blocks is
// loaded into a fresh embedded engine without traces and then into another
// with them, and each load reports blocks/s and the bytes per block it
// stored. The replay server of the other phases serves no traces, and
// tracing is the node re-executing every block, so this phase runs
// against a real node and its rates are a dev chain's, not mainnet's.
func benchTraces(ctx context.Context, cfg backfillConfig, n uint64) error {
	chain, err := devchain.New(devchain.Config{Seed: 7, MinTxs: 40, MaxTxs: 80,
		GenesisTime: time.Unix(1767225600, 0), BlockInterval: 12 * time.Second})
	if err != nil {
		return err
	}
	defer chain.Close()
	for range n {
		if _, err := chain.Mine(ctx); err != nil {
			return err
		}
	}
	addr, err := chain.ServeRPC(ctx, "127.0.0.1:0")
	if err != nil {
		return err
	}
	var rate, size [2]float64
	for i, traces := range []bool{false, true} {
		if rate[i], size[i], err = loadDevChain(ctx, cfg, "http://"+addr, n, traces); err != nil {
			return err
		}
	}
	fmt.Printf("summary (dev chain, %d blocks): with --traces %.0f blocks/s, %.0f%% of the %.0f without; %.0f bytes per block stored, %.1fx the %.0f without\n",
		n, rate[1], 100*rate[1]/rate[0], rate[0], size[1], size[1]/size[0], size[0])
	return nil
}

// loadDevChain backfills blocks 1..n from url into a fresh engine and
// returns the blocks per second and the bytes stored per block.
func loadDevChain(ctx context.Context, cfg backfillConfig, url string, n uint64, traces bool) (float64, float64, error) {
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{url}, Proof: cfg.proof, Traces: traces})
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()
	dir, err := os.MkdirTemp("", "ethidx-bench-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	sink, conn, closeAll, err := engineSink(ctx, dir)
	if err != nil {
		return 0, 0, err
	}
	defer closeAll()
	start := time.Now()
	st, err := indexer.Backfill(ctx, src, sink, indexer.BackfillOptions{
		Range: indexer.Range{From: 1, To: n}, BatchSize: cfg.batch, Workers: cfg.workers})
	if err != nil {
		return 0, 0, err
	}
	secs := since(start)
	var bytes, frames uint64
	if err := conn.QueryRow(ctx, `SELECT sum(bytes_on_disk) FROM system.parts WHERE database = currentDatabase() AND active`).Scan(&bytes); err != nil {
		return 0, 0, err
	}
	if err := conn.QueryRow(ctx, `SELECT count() FROM traces FINAL`).Scan(&frames); err != nil {
		return 0, 0, err
	}
	name := "devchain_without_traces"
	if traces {
		name = "devchain_with_traces"
	}
	report(name, "blocks", st.Blocks, "txs", st.Transactions, "frames", frames, "seconds", fmt.Sprintf("%.2f", secs),
		"blocks_per_s", fmt.Sprintf("%.0f", float64(st.Blocks)/secs),
		"bytes_per_block", fmt.Sprintf("%.0f", float64(bytes)/float64(st.Blocks)))
	return float64(st.Blocks) / secs, float64(bytes) / float64(st.Blocks), nil
}
