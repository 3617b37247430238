package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/devchain"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

// benchLatency mines blocks on a dev chain and measures, for each, the time
// from the block existing at the horizon (finality latest) to its rows being
// queryable in the embedded engine, with the follower woken by newHeads.
func benchLatency(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chain, err := devchain.New(devchain.Config{Seed: 5, MinTxs: 20, MaxTxs: 60})
	if err != nil {
		return err
	}
	defer chain.Close()
	addr, err := chain.ServeRPC(ctx, "127.0.0.1:0")
	if err != nil {
		return err
	}
	urls := []string{"ws://" + addr}
	src, err := rpcsource.New(ctx, rpcsource.Options{URLs: urls})
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "ethidx-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sink, _, closeAll, err := engineSink(ctx, dir)
	if err != nil {
		return err
	}
	defer closeAll()
	hashes := sink // reads stored hashes: the block is queryable when its row is

	zero := uint64(0)
	followErr := make(chan error, 1)
	go func() {
		followErr <- indexer.Follow(ctx, src, sink, indexer.FollowOptions{
			Finality: indexer.Latest, Start: &zero, Poll: time.Second, Heads: rpcsource.Heads(ctx, urls, slog.Default())})
	}()
	const samples = 30
	var lat []time.Duration
	for i := 0; i < samples; i++ {
		n, err := chain.Mine(ctx)
		if err != nil {
			return err
		}
		mined := time.Now()
		for {
			h, err := hashes.Hashes(ctx, n, n)
			if err != nil {
				return err
			}
			if _, ok := h[n]; ok {
				break
			}
			if time.Since(mined) > 30*time.Second {
				return fmt.Errorf("block %d not queryable after 30s", n)
			}
			time.Sleep(5 * time.Millisecond)
		}
		lat = append(lat, time.Since(mined))
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	<-followErr
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	report("follower_latency", "samples", samples, "p50", lat[samples/2].Round(time.Millisecond),
		"p90", lat[samples*9/10].Round(time.Millisecond), "max", lat[samples-1].Round(time.Millisecond))
	return nil
}
