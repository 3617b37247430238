package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/rpcsource"
)

// nodeOptions reads the NODE group into the source's options: the one
// reader of --rpc, --verify, --chain-id, --rps, --max-response-size and
// --traces (false for commands without it).
// Without --rpc the URLs are empty (status then asks no node; openSource
// refuses). Bad values are bad input.
func nodeOptions(c *cli.Context) (rpcsource.Options, error) {
	urls, err := parseRPC(c.StringSlice("rpc"))
	if err != nil {
		return rpcsource.Options{}, err
	}
	proof, err := rpcsource.ParseProof(c.String("verify"))
	if err != nil {
		return rpcsource.Options{}, badInput("--%v", err)
	}
	return rpcsource.Options{
		URLs:    urls,
		ChainID: c.Uint64("chain-id"),
		RPS:     c.Float64("rps"),
		Proof:   proof,
		Traces:  c.Bool("traces"),
		// Checked by checkResponseSize: 0 or at most 1 TiB.
		MaxResponseSize: int64(c.Uint64("max-response-size")),
		Logger:          slog.Default(),
	}, nil
}

// checkNode refuses bad node flags before a command does any work; the
// command reads them with the same nodeOptions.
func checkNode(c *cli.Context, _ string) error {
	_, err := nodeOptions(c)
	return err
}

// parseRPC reads the values of --rpc, each of which may be a
// comma-separated list of URLs.
func parseRPC(vals []string) ([]string, error) {
	var urls []string
	for _, v := range vals {
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u == "" {
				continue
			}
			p, err := url.Parse(u)
			if err != nil || p.Hostname() == "" || (p.Scheme != "http" && p.Scheme != "https" && p.Scheme != "ws" && p.Scheme != "wss") {
				return nil, badInput("--rpc %q: want an http(s):// or ws(s):// URL", redact(u))
			}
			if port := p.Port(); port != "" {
				if err := checkPort(port); err != nil || port == "0" {
					return nil, badInput("--rpc %q: port %s: want a number from 1 to 65535", redact(u), port)
				}
			}
			urls = append(urls, u)
		}
	}
	return urls, nil
}

// openSource connects to the node: the one place a source is built.
func openSource(ctx context.Context, opts rpcsource.Options) (*rpcsource.Source, error) {
	if len(opts.URLs) == 0 {
		return nil, badInput("--rpc URL is required (an Ethereum JSON-RPC endpoint; also read from $ETHIDX_RPC or $ETH_RPC_URL)")
	}
	src, err := rpcsource.New(ctx, opts)
	return src, chainMismatch(err)
}

// chainMismatch makes a node of the wrong chain, or one without call
// traces for --traces, bad input (exit 2): a configuration error that
// retrying cannot mend.
func chainMismatch(err error) error {
	if errors.Is(err, rpcsource.ErrChainMismatch) || errors.Is(err, rpcsource.ErrNoTraces) {
		return badInput("%v", err)
	}
	return err
}

// bindChain ties the store to the node's chain: the first load records the
// chain id, and later loads from a node of another chain are refused
// before anything is written.
func bindChain(c *cli.Context, src indexer.Source, sink *chsink.Sink) error {
	id, err := src.ChainID(c.Context)
	if errors.Is(err, rpcsource.ErrNoChainID) {
		// The binding is a guard, not a requirement: a node that cannot
		// tell its chain id can still be indexed.
		slog.Warn("could not read the node's chain id; this run does not check the store's chain", "err", err)
		return nil
	}
	if err != nil {
		return err
	}
	// The genesis hash, asked of the node before the first write: two
	// chains can share an id.
	g, err := src.Header(c.Context, 0)
	if errors.Is(err, indexer.ErrNotFound) {
		// A node without block 0 (a replay of a stretch of a chain):
		// only the chain id is checked.
		slog.Warn("the node has no block 0; this run checks the store's chain by its id only")
		g, err = indexer.Header{}, nil
	}
	if err != nil {
		return fmt.Errorf("reading the node's genesis block: %w", err)
	}
	canon := func(ctx context.Context, n uint64) (common.Hash, error) {
		h, err := src.Header(ctx, n)
		return h.Hash, err
	}
	err = sink.BindChain(c.Context, id, g.Hash, canon)
	if errors.As(err, new(chsink.UnboundError)) {
		return badInput("%v", err)
	}
	var mismatch *chsink.ChainMismatchError
	if errors.As(err, &mismatch) {
		return badInput("%v", err)
	}
	return err
}
