package main

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

// rpcURLs reads --rpc, which may be repeated or comma-separated.
func rpcURLs(c *cli.Context) ([]string, error) {
	var urls []string
	for _, v := range c.StringSlice("rpc") {
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u == "" {
				continue
			}
			p, err := url.Parse(u)
			if err != nil || p.Host == "" || (p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "ws" && p.Scheme != "wss") {
				return nil, badInput("--rpc %q: want an http(s):// or ws(s):// URL", u)
			}
			urls = append(urls, u)
		}
	}
	if len(urls) == 0 {
		return nil, badInput("--rpc URL is required (an Ethereum JSON-RPC endpoint)")
	}
	return urls, nil
}

func openSource(c *cli.Context, onError func(error)) (*rpcsource.Source, error) {
	urls, err := rpcURLs(c)
	if err != nil {
		return nil, err
	}
	if c.Float64("rps") < 0 {
		return nil, badInput("--rps must not be negative")
	}
	src, err := rpcsource.New(c.Context, rpcsource.Options{
		URLs:    urls,
		ChainID: c.Uint64("chain-id"),
		RPS:     c.Float64("rps"),
		OnError: onError,
		Logger:  slog.Default(),
	})
	if errors.Is(err, rpcsource.ErrChainMismatch) {
		return nil, badInput("%v", err)
	}
	return src, err
}

// bindChain ties the store to the node's chain: the first load records the
// chain id, and later loads from a node of another chain are refused
// before anything is written.
func bindChain(c *cli.Context, src indexer.Source, sink *chsink.Sink) error {
	ctx, cancel := context.WithTimeout(c.Context, 15*time.Second)
	id, err := src.ChainID(ctx)
	cancel()
	if err != nil {
		if c.Context.Err() != nil {
			return err
		}
		// The binding is a guard, not a requirement: a node that cannot
		// tell its chain id can still be indexed.
		slog.Warn("could not read the node's chain id; this run does not check the store's chain", "err", err)
		return nil
	}
	err = sink.BindChain(c.Context, id)
	var mismatch *chsink.ChainMismatchError
	if errors.As(err, &mismatch) {
		return badInput("%v", err)
	}
	return err
}
