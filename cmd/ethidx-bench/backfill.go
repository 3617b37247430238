package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/indexer/rpcsource"
	"github.com/ethidx/ethidx/store"
)

type backfillConfig struct {
	blocks     uint64
	txPerBlock int
	workers    int
	batch      uint64
	rpc        string
	proof      rpcsource.Proof
}

// serveBlocks starts a replay server with cfg.blocks generated
// mainnet-shaped blocks, all encoded up front: serving them is not what
// the bench measures.
func serveBlocks(cfg backfillConfig) (string, func(), error) {
	srv := replay.New(replay.Options{CacheBlocks: int(cfg.blocks) + 16})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: cfg.blocks, TxPerBlock: cfg.txPerBlock, Seed: 42}); err != nil {
		return "", nil, err
	}
	for n := uint64(1); n <= cfg.blocks; n++ {
		srv.BlockJSON(n)
	}
	return srv.Start("127.0.0.1:0")
}

// benchBackfill loads cfg.blocks generated blocks through the real RPC
// source, into the embedded engine or into a sink that drops them.
func benchBackfill(ctx context.Context, cfg backfillConfig, toEngine bool) error {
	url := cfg.rpc
	if url == "" {
		u, stop, err := serveBlocks(cfg)
		if err != nil {
			return err
		}
		defer stop()
		url = u
	}
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: []string{url}, Proof: cfg.proof})
	if err != nil {
		return err
	}
	var sink indexer.Sink = &nullSink{}
	var conn driver.Conn
	name := "backfill_null_sink"
	if toEngine {
		name = "backfill_embedded_engine"
		dir, err := os.MkdirTemp("", "ethidx-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		s, c, closeAll, err := engineSink(ctx, dir)
		if err != nil {
			return err
		}
		defer closeAll()
		sink, conn = s, c
	}
	start, cpu0 := time.Now(), cpuSeconds()
	st, err := indexer.Backfill(ctx, src, sink, indexer.BackfillOptions{
		Range: indexer.Range{From: 1, To: cfg.blocks}, BatchSize: cfg.batch, Workers: cfg.workers})
	if err != nil {
		return err
	}
	secs, cpu := since(start), cpuSeconds()-cpu0
	rows := st.Transactions + st.Logs + st.Blocks
	var merges []any
	if conn != nil {
		merges = mergeFigures(ctx, conn)
	}
	kv := []any{"verify", cfg.proof, "blocks", st.Blocks, "txs", st.Transactions, "logs", st.Logs, "seconds", fmt.Sprintf("%.2f", secs),
		"blocks_per_s", fmt.Sprintf("%.0f", float64(st.Blocks)/secs),
		"tx_per_s", fmt.Sprintf("%.0f", float64(st.Transactions)/secs),
		"rows_per_s", fmt.Sprintf("%.0f", float64(rows)/secs), "cpu_s", fmt.Sprintf("%.2f", cpu)}
	report(name, append(kv, merges...)...)
	return nil
}

// mergeFigures reads how much the engine's background merges have
// rewritten by the end of the load (merges still running then are left
// out): part of what the engine's figures cost, growing with the number
// of parts the inserts make.
func mergeFigures(ctx context.Context, conn driver.Conn) []any {
	var merges, bytes uint64
	err := conn.QueryRow(ctx, `SELECT sumIf(value, event = 'Merge'), sumIf(value, event = 'MergedUncompressedBytes') FROM system.events`).Scan(&merges, &bytes)
	if err != nil {
		return []any{"merges", "unknown"}
	}
	return []any{"merges", merges, "merged_mb", bytes >> 20}
}

// engineSink opens the embedded engine in dir, serves it, and returns a
// migrated ClickHouse sink over clickhouse-go HTTP, and its connection:
// the CLI's path, through the same opener.
func engineSink(ctx context.Context, dir string) (*chsink.Sink, driver.Conn, func(), error) {
	st, err := store.Open(ctx, store.Options{DataDir: dir, Logger: slog.Default()})
	if err != nil {
		return nil, nil, nil, err
	}
	return chsink.New(st.Conn), st.Conn, func() { st.Close() }, nil
}

// nullSink drops every block: what is left is fetch and decode.
type nullSink struct{ blocks atomic.Uint64 }

func (s *nullSink) Write(_ context.Context, b []*indexer.Block) error {
	s.blocks.Add(uint64(len(b)))
	return nil
}
func (s *nullSink) MarkDone(context.Context, indexer.Range) error { return nil }
func (s *nullSink) Done(context.Context) (indexer.Ranges, error)  { return nil, nil }
func (s *nullSink) Hashes(context.Context, uint64, uint64) (map[uint64]common.Hash, error) {
	return nil, nil
}
func (s *nullSink) Rewind(context.Context, uint64) error { return nil }
