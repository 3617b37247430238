package main

import (
	"log/slog"
	"net/url"
	"strings"

	"github.com/urfave/cli/v2"

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

func openSource(c *cli.Context) (*rpcsource.Source, error) {
	urls, err := rpcURLs(c)
	if err != nil {
		return nil, err
	}
	if c.Float64("rps") < 0 {
		return nil, badInput("--rps must not be negative")
	}
	return rpcsource.New(c.Context, rpcsource.Options{
		URLs:    urls,
		ChainID: c.Uint64("chain-id"),
		RPS:     c.Float64("rps"),
		Logger:  slog.Default(),
	})
}
