package main

import (
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ethidx/ethidx/indexer/replay"
)

// serveOnly serves blocks over JSON-RPC until SIGINT or SIGTERM, printing
// the URL first, so a script can point bin/ethidx at it (scripts/size.sh):
// "generated" serves cfg.blocks generated blocks from block 1, encoded up
// front as the bench serves them for up to preEncodeMax blocks and lazily
// beyond (up front would hold ~1.1 MB per block); anything else is a
// comma-separated list of fixture folders (one subfolder per block, as in
// the repository's testdata/fixtures).
func serveOnly(cfg backfillConfig, what string) error {
	if what == "generated" && cfg.blocks <= preEncodeMax {
		// As the bench serves them: encoded up front, so runs against this
		// server measure the client alone, run after run.
		u, stop, err := serveBlocks(cfg)
		if err != nil {
			return err
		}
		defer stop()
		return waitPrinting(u)
	}
	// A cache of 512 encoded blocks covers the batches a backfill's workers
	// have in flight, so no block is generated twice, in ~600 MB.
	srv := replay.New(replay.Options{CacheBlocks: 512})
	if what == "generated" {
		if err := srv.Generate(replay.GenOptions{From: 1, Count: cfg.blocks, TxPerBlock: cfg.txPerBlock, Seed: 42}); err != nil {
			return err
		}
	} else {
		for _, dir := range strings.Split(what, ",") {
			if _, err := srv.LoadFixtures(dir); err != nil {
				return fmt.Errorf("fixtures %s: %w", dir, err)
			}
		}
	}
	url, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer stop()
	return waitPrinting(url)
}

// preEncodeMax is the most generated blocks served encoded up front
// (~1.1 MB each): the bench's own 1,500. scripts/size.sh serves more, and
// a loader beside it needs the memory.
const preEncodeMax = 1500

// waitPrinting prints url and waits for SIGINT or SIGTERM.
func waitPrinting(url string) error {
	fmt.Println(url)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return nil
}
