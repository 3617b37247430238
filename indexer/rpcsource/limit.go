package rpcsource

import (
	"fmt"
	"io"
	"net/http"
)

// Every answer a node sends is read within a limit, checked before memory
// is taken for it: a node that declares or streams more (a broken proxy,
// an endless body, a hostile node) fails the call with an error naming it,
// and the call moves on to the next --rpc URL, instead of the process
// growing with the answer.
//
// The largest plausible answer is a batch of BatchSize calls, each a block
// with its transactions or its receipts. A mainnet block averages ~0.6 MB
// of JSON per call, and a block full of calldata or log data at a 60M gas
// limit (16 gas per calldata byte, 8 per log byte, hex doubling each byte)
// ~15 MB; allowing 4 MiB per call and at least 64 MiB per answer admits
// such a block within any batch, and all of today's blocks many times.
const (
	perCallResponse = 4 << 20
	minResponse     = 64 << 20
)

// DefaultMaxResponseSize is the limit for batches of batchSize calls.
func DefaultMaxResponseSize(batchSize int) int64 {
	return max(minResponse, int64(batchSize)*perCallResponse)
}

// ResponseTooLargeError says a node's answer exceeded the limit.
type ResponseTooLargeError struct {
	URL   string // redacted
	Limit int64
}

func (e *ResponseTooLargeError) Error() string {
	return fmt.Sprintf("node %s answered more than %d bytes (the response size limit, --max-response-size): "+
		"its answer is refused; raise the limit if the node is right", e.URL, e.Limit)
}

// limitedTransport bounds every response body read through it.
type limitedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	tooLarge := &ResponseTooLargeError{URL: redact(req.URL.String()), Limit: t.max}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, tooLarge
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max, err: tooLarge}
	return resp, nil
}

// limitedBody fails once more than its limit has been read.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
	err  error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, b.err
	}
	// Ask for one byte more than allowed: getting it is the proof.
	p = p[:min(int64(len(p)), b.left+1)]
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, b.err
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
