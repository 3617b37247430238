package devchain

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/filters"
	"github.com/ethereum/go-ethereum/eth/tracers"
	_ "github.com/ethereum/go-ethereum/eth/tracers/native" // registers callTracer and the other native tracers
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/ethereum/go-ethereum/version"
)

// servedNamespaces are the go-ethereum APIs a dev chain exposes. admin and
// miner are left out: they would let a client reconfigure the node.
var servedNamespaces = map[string]bool{"eth": true, "net": true, "web3": true, "txpool": true, "debug": true}

// newRPCServer registers the node's public APIs, plus the filter API that
// carries eth_subscribe (newHeads, logs), on one server used both in process
// and over HTTP/websocket, so tests and ethidx see the same answers.
func newRPCServer(backend *eth.Ethereum) (*rpc.Server, error) {
	srv := rpc.NewServer()
	srv.SetBatchLimits(node.DefaultConfig.BatchRequestLimit, node.DefaultConfig.BatchResponseMaxSize)
	srv.SetHTTPBodyLimit(node.DefaultConfig.HTTPBodyLimit)
	apis := backend.APIs()
	apis = append(apis,
		rpc.API{Namespace: "eth", Service: filters.NewFilterAPI(filters.NewFilterSystem(backend.APIBackend, filters.Config{}))},
		rpc.API{Namespace: "web3", Service: web3API{}},
		rpc.API{Namespace: "debug", Service: traceAPI{tracers.NewAPI(backend.APIBackend)}},
	)
	for _, api := range apis {
		if !servedNamespaces[api.Namespace] {
			continue
		}
		if err := srv.RegisterName(api.Namespace, api.Service); err != nil {
			return nil, fmt.Errorf("registering %s API: %w", api.Namespace, err)
		}
	}
	return srv, nil
}

// traceAPI serves the block and transaction tracing methods of
// go-ethereum's tracer API (debug_traceBlockByNumber, debug_traceBlockByHash,
// debug_traceTransaction) with any registered tracer, e.g. callTracer. The
// API's other methods are left out: debug_standardTraceBlockToFile writes
// files on the host, which no client of a dev chain should be able to do.
// The results are the API's own (its result type is unexported, hence any).
type traceAPI struct{ api *tracers.API }

func (t traceAPI) TraceBlockByNumber(ctx context.Context, number rpc.BlockNumber, config *tracers.TraceConfig) (any, error) {
	return t.api.TraceBlockByNumber(ctx, number, config)
}

func (t traceAPI) TraceBlockByHash(ctx context.Context, hash common.Hash, config *tracers.TraceConfig) (any, error) {
	return t.api.TraceBlockByHash(ctx, hash, config)
}

func (t traceAPI) TraceTransaction(ctx context.Context, hash common.Hash, config *tracers.TraceConfig) (any, error) {
	return t.api.TraceTransaction(ctx, hash, config)
}

// web3API answers web3_clientVersion, which tools call to identify a node.
type web3API struct{}

func (web3API) ClientVersion() string {
	return fmt.Sprintf("ethidx-devchain/go-ethereum-v%d.%d.%d", version.Major, version.Minor, version.Patch)
}

func (web3API) Sha3(input hexutil.Bytes) hexutil.Bytes { return crypto.Keccak256(input) }

// ServeRPC serves JSON-RPC over HTTP, and over websocket on the same address,
// until ctx is done or the chain is closed. addr is a host:port; port 0 picks
// a free one. It returns the address actually bound, e.g. "127.0.0.1:40123".
func (c *Chain) ServeRPC(ctx context.Context, addr string) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("listening for JSON-RPC on %s: %w", addr, err)
	}
	ws := c.server.WebsocketHandler([]string{"*"})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
			ws.ServeHTTP(w, r)
			return
		}
		c.server.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		ln.Close()
		return "", errors.New("dev chain is closed")
	}
	c.servers = append(c.servers, srv)
	c.mu.Unlock()

	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.log.Error("JSON-RPC server stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	context.AfterFunc(ctx, func() { srv.Close() })
	c.log.Info("serving JSON-RPC", "addr", ln.Addr().String())
	return ln.Addr().String(), nil
}
