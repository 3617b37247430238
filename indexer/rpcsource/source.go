package rpcsource

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/ethidx/ethidx/indexer"
)

// Source reads blocks from one or more nodes. It implements indexer.Source
// and is safe for concurrent use.
type Source struct {
	opts    Options
	eps     []*endpoint
	cur     atomic.Uint32 // index of the endpoint calls go to
	limiter *limiter
	// checkChain says every node's chain id is checked before its first
	// use, against wantChain (set by the first node to answer if 0).
	checkChain bool
	wantChain  atomic.Uint64
}

var _ indexer.Source = (*Source)(nil)

// endpoint is one node URL and what was learnt about it.
type endpoint struct {
	url    string
	client *rpc.Client
	http   *http.Client // set for http(s) URLs: the fast batch path
	// blockReceipts says whether the node serves eth_getBlockReceipts:
	// 0 not known yet, 1 yes, -1 no (use eth_getTransactionReceipt).
	blockReceipts atomic.Int32
	chainOK       atomic.Bool // its chain id was checked
	// traces says which trace method the node serves (traces.go): 0 not
	// known yet, tracesDebug, tracesParity or tracesNone.
	traces atomic.Int32
}

// New dials every URL and checks the nodes serve one chain (opts.ChainID,
// if set).
func New(ctx context.Context, opts Options) (*Source, error) {
	opts.setDefaults()
	if len(opts.URLs) == 0 {
		return nil, errors.New("rpcsource: no node URL given")
	}
	// One pooled transport for all nodes: the default keeps only two idle
	// connections per host, which concurrent workers would churn through.
	// Every answer is read within MaxResponseSize (limit.go).
	hc := &http.Client{Transport: limitedTransport{max: opts.MaxResponseSize, base: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 32,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}}}
	s := &Source{opts: opts, limiter: newLimiter(opts.RPS)}
	for _, u := range opts.URLs {
		c, err := rpc.DialOptions(ctx, u, rpc.WithHTTPClient(hc),
			rpc.WithWebsocketMessageSizeLimit(opts.MaxResponseSize))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("dialing %s: %w", redact(u), err)
		}
		ep := &endpoint{url: u, client: c}
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
			ep.http = hc
		}
		s.eps = append(s.eps, ep)
	}
	if err := s.checkChains(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if opts.Traces {
		if err := s.ProbeTraces(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// ErrChainMismatch says a node serves another chain than the one asked for
// or than the other nodes.
var ErrChainMismatch = errors.New("wrong chain")

// checkChains makes sure every node serves the same chain: opts.ChainID if
// set, else the first node's that answers. Failing over to a node of
// another chain would mix two chains' blocks under the same numbers. Each
// node is asked once here; one that does not answer is checked before its
// first use instead, so a node that is down does not stop the others, and
// calls start on the first node that answered. A single node with no
// ChainID is not asked; callers bind its chain to the store.
func (s *Source) checkChains(ctx context.Context) error {
	s.checkChain = s.opts.ChainID != 0 || len(s.eps) > 1
	s.wantChain.Store(s.opts.ChainID)
	if !s.checkChain {
		return nil
	}
	first := -1
	for i, ep := range s.eps {
		err := s.ensureChain(ctx, ep)
		switch {
		case errors.Is(err, ErrChainMismatch) || ctx.Err() != nil:
			return err
		case err != nil:
			s.opts.Logger.Warn("node did not tell its chain id; it is checked before its first use", "url", redact(ep.url), "err", err)
		case first < 0:
			first = i
		}
	}
	s.cur.Store(uint32(max(first, 0)))
	return nil
}

// ensureChain checks a node's chain id before its first use.
func (s *Source) ensureChain(ctx context.Context, ep *endpoint) error {
	if !s.checkChain || ep.chainOK.Load() {
		return nil
	}
	id, err := s.chainIDOf(ctx, ep)
	if errors.Is(err, ErrNoChainID) {
		// The node answered but cannot tell its chain (a minimal or
		// replaying server): it is taken as it is rather than left
		// unusable. A node that did not answer is asked again next time.
		s.opts.Logger.Warn("node does not report its chain id; not checked", "url", redact(ep.url), "err", err)
		ep.chainOK.Store(true)
		return nil
	}
	if err != nil {
		return fmt.Errorf("asking %s for its chain id: %w", redact(ep.url), err)
	}
	s.wantChain.CompareAndSwap(0, id) // the first node to answer sets it
	want := s.wantChain.Load()
	switch {
	case id == want:
		ep.chainOK.Store(true)
		return nil
	case s.opts.ChainID == 0:
		return fmt.Errorf("%w: node %s serves chain %d, but the other --rpc nodes serve chain %d: every --rpc URL must serve the same chain",
			ErrChainMismatch, redact(ep.url), id, want)
	}
	return fmt.Errorf("%w: node %s serves chain %d, want chain %d: check the --rpc URL", ErrChainMismatch, redact(ep.url), id, want)
}

// chainIDOf asks one node for its chain id, once. A node that answers
// without a usable id (null, not a quantity, a refusal such as an unknown
// method) gets an error wrapping ErrNoChainID.
func (s *Source) chainIDOf(ctx context.Context, ep *endpoint) (uint64, error) {
	var raw json.RawMessage
	err := s.call(ctx, ep, &raw, "eth_chainId")
	if err == nil {
		id, perr := parseQuantity(raw)
		if perr == nil {
			return id, nil
		}
		err = perr
	} else {
		var re rpc.Error
		if classify(err) != permanent && !(errors.As(err, &re) && methodMissing(err)) {
			return 0, err // no answer: another try may get one
		}
	}
	return 0, fmt.Errorf("%w: %v", ErrNoChainID, err)
}

// Close releases the connections.
func (s *Source) Close() {
	for _, ep := range s.eps {
		ep.client.Close()
	}
}

// ChainID returns the chain id of the node calls currently go to.
func (s *Source) ChainID(ctx context.Context) (uint64, error) {
	var id uint64
	err := s.retry(ctx, func(ctx context.Context, ep *endpoint) error {
		var err error
		id, err = s.chainIDOf(ctx, ep)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("getting chain id: %w", err)
	}
	return id, nil
}

// ErrNoChainID says a node answered eth_chainId without a usable id (null,
// not a quantity, or a refusal such as an unknown method): asking again
// will not help. A node that did not answer at all gets another error.
var ErrNoChainID = errors.New("the node does not tell its chain id")

// Head returns the newest block at finality f.
func (s *Source) Head(ctx context.Context, f indexer.Finality) (indexer.Header, error) {
	h, err := s.header(ctx, string(f), absent)
	if err != nil {
		return indexer.Header{}, fmt.Errorf("getting %s head: %w", f, err)
	}
	return h, nil
}

// Header returns the header of block n, or an error wrapping
// indexer.ErrNotFound if the node does not have it.
func (s *Source) Header(ctx context.Context, n uint64) (indexer.Header, error) {
	h, err := s.header(ctx, hexNumber(n), n)
	if err != nil {
		return indexer.Header{}, fmt.Errorf("getting header %d: %w", n, err)
	}
	return h, nil
}

// header gets a header by tag or number; want, unless absent, is the
// number the node must answer with.
func (s *Source) header(ctx context.Context, tag string, want uint64) (indexer.Header, error) {
	var h indexer.Header
	err := s.retry(ctx, func(ctx context.Context, ep *endpoint) error {
		var raw json.RawMessage
		if err := s.call(ctx, ep, &raw, "eth_getBlockByNumber", tag, false); err != nil {
			return err
		}
		var err error
		if h, err = decodeHeader(raw); err != nil {
			return err
		}
		if want != absent && h.Number != want {
			return &indexer.BlockError{Number: want, Reason: fmt.Sprintf("node returned header %d", h.Number)}
		}
		return nil
	})
	if errors.Is(err, indexer.ErrNotFound) {
		err = s.behind(ctx, err)
	}
	return h, err
}

// call makes one rate-limited call with the per-request timeout.
func (s *Source) call(ctx context.Context, ep *endpoint, result any, method string, args ...any) error {
	if err := s.limiter.wait(ctx, 1); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	return shortHTTPError(ep.client.CallContext(ctx, result, method, args...))
}

// behind adds the node's head to a not-found error, so "block 123 not
// found" also tells how far behind the node is.
func (s *Source) behind(ctx context.Context, err error) error {
	ep := s.eps[s.cur.Load()%uint32(len(s.eps))]
	var raw json.RawMessage
	if s.call(ctx, ep, &raw, "eth_blockNumber") != nil {
		return err
	}
	head, perr := parseQuantity(raw)
	if perr != nil {
		return err
	}
	return fmt.Errorf("%w (node head is %d: it is behind or still syncing)", err, head)
}

func hexNumber(n uint64) string { return "0x" + strconv.FormatUint(n, 16) }

func parseQuantity(raw []byte) (uint64, error) {
	s := &scanner{b: raw}
	v := s.u64("quantity")
	if s.err == nil && s.peek() != 0 {
		s.fail("data after the quantity")
	}
	return v, s.err
}
