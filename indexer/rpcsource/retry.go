package rpcsource

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/rpc"

	"github.com/ethidx/ethidx/indexer"
)

// retry runs fn until it succeeds, moving to the next URL after each
// failure. Transient failures are retried up to MaxRetries times with
// exponential backoff and jitter; a missing block or a permanent error is
// tried once on each URL, since another node may have it or accept it, but
// waiting will not help the same one.
func (s *Source) retry(ctx context.Context, fn func(context.Context, *endpoint) error) error {
	tries := 1 // of URLs, for errors that waiting does not fix
	urls := len(s.eps)
	for attempt := 0; ; attempt++ {
		idx := s.cur.Load()
		ep := s.eps[idx%uint32(len(s.eps))]
		err := s.ensureChain(ctx, ep)
		if err == nil {
			err = fn(ctx, ep)
		}
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), err)
		}
		if s.opts.OnError != nil && !errors.Is(err, indexer.ErrNotFound) {
			s.opts.OnError(err) // a block a node lacks yet is no error
		}
		if errors.Is(err, ErrChainMismatch) {
			// A node of another chain in the list is a configuration
			// error: stop loudly rather than work around it.
			return err
		}
		var pe *progressError
		if errors.As(err, &pe) {
			// Part of the work got done: this attempt does not count
			// against the budget. Progress is finite, so this ends.
			err = pe.err
			attempt = -1
		}
		kind := classify(err)
		switch {
		case kind == transient && attempt < s.opts.MaxRetries:
		case kind != transient && tries < urls:
			tries++
		default:
			return err
		}
		// Move on from this URL, unless a concurrent call already did.
		s.cur.CompareAndSwap(idx, idx+1)
		wait := s.backoff(max(attempt, 0))
		if kind != transient {
			wait = 0
		}
		s.opts.Logger.Warn("rpc call failed; retrying", "url", redact(ep.url), "attempt", attempt+1, "wait", wait, "err", err)
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return errors.Join(ctx.Err(), err)
			}
		}
	}
}

// backoff is RetryBase·2^attempt capped at RetryMax, less up to half at
// random so that many workers hitting one rate limit do not retry in step.
func (s *Source) backoff(attempt int) time.Duration {
	d := s.opts.RetryBase << min(attempt, 20)
	if d > s.opts.RetryMax || d <= 0 {
		d = s.opts.RetryMax
	}
	return d/2 + rand.N(d/2+1)
}

// progressError wraps the failure of an attempt that still got part of
// the work done, such as some blocks of a batch.
type progressError struct{ err error }

func (e *progressError) Error() string { return e.err.Error() }
func (e *progressError) Unwrap() error { return e.err }

type errKind int

const (
	transient errKind = iota // retry with backoff
	notFound                 // the node lacks the block: try other URLs
	permanent                // the request is wrong: try other URLs, then give up
)

// classify decides whether waiting and retrying can help. Unknown errors
// count as transient: giving up on a flaky node costs a whole backfill
// range, a few wasted retries cost seconds.
func classify(err error) errKind {
	if errors.Is(err, indexer.ErrNotFound) {
		return notFound
	}
	if errors.Is(err, ErrNoChainID) || errors.Is(err, ErrNoTraces) {
		return permanent
	}
	var tl *ResponseTooLargeError
	if errors.As(err, &tl) {
		return permanent // the same node answers the same again: try the others
	}
	var be *indexer.BlockError
	if errors.As(err, &be) {
		return transient // the node may correct itself, or another node not lie
	}
	var he rpc.HTTPError
	if errors.As(err, &he) {
		switch c := he.StatusCode; {
		case c == 408 || c == 413 || c == 425 || c == 429 || c >= 500:
			return transient
		case c >= 400:
			return permanent
		}
		return transient
	}
	var re rpc.Error
	if errors.As(err, &re) {
		switch re.ErrorCode() {
		case -32600, -32601, -32602:
			return permanent
		}
		return transient
	}
	// Everything else — timeouts, refused or reset connections, truncated
	// or invalid JSON, missing batch answers — is worth another try.
	return transient
}

// methodMissing tells a node that does not know a method from one that
// failed to run it. Clients word it differently.
func methodMissing(err error) bool {
	var re rpc.Error
	if errors.As(err, &re) && re.ErrorCode() == -32601 {
		return true
	}
	m := strings.ToLower(err.Error())
	for _, s := range []string{"method not found", "does not exist", "not supported", "unsupported method", "not available", "unknown method"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// redact keeps a URL's scheme and host: paths and queries often carry API
// keys, and logs are shared.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(node url)"
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		return u.Scheme + "://" + u.Host + "/…"
	}
	return u.Scheme + "://" + u.Host
}
