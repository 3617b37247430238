package sqlhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Transport returns a RoundTripper that hands each request to s in this
// process, without a socket: for the serving process's own clickhouse-go
// connection (package store), whose inserts would otherwise cross the
// loopback device twice, a copy into the kernel and one out, about 3% of a
// backfill's CPU. The request is served by the same handler as one from
// the network, authentication and settings included. What a socket gave
// is kept where it matters: a statement whose answer has not begun within
// headerTimeout (clickhouse-go's ReadTimeout; 0: none) is cancelled and
// fails, and closing the response body, or ending the request's context,
// cancels the statement. The per-read stall deadlines do not apply: the
// client is this process.
//
// The response streams: RoundTrip returns once the handler has written its
// header, and the body is read as the handler writes it.
func (s *Server) Transport(headerTimeout time.Duration) http.RoundTripper {
	return inProcess{h: s, headerTimeout: headerTimeout}
}

type inProcess struct {
	h             http.Handler
	headerTimeout time.Duration
}

// errHeaderTimeout is what a statement gets whose answer did not begin in
// time, as net/http's transport words it.
var errHeaderTimeout = errors.New("timeout awaiting response headers")

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	// The handler's context ends with the request's, with the response
	// body's Close, and on a header timeout: as a dropped connection's.
	ctx, cancel := context.WithCancelCause(req.Context())
	in := req.Clone(ctx)
	in.RequestURI = req.URL.RequestURI()
	if in.URL.Path == "" {
		in.URL.Path = "/" // as a server reads an empty path
	}
	in.RemoteAddr = "in-process"
	if in.Body == nil {
		in.Body = http.NoBody
	}
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	pr, pw := io.Pipe()
	w := &pipeWriter{header: http.Header{}, body: pw, ready: make(chan struct{})}
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(context.Cause(ctx)) })
	go func() {
		defer stop()
		defer func() {
			// As a server does: the request body is closed once served (the
			// client's writer stops). A handler that panics (ServeHTTP
			// re-panics only http.ErrAbortHandler) cuts the response off:
			// before its header, RoundTrip fails.
			in.Body.Close()
			var err error
			if v := recover(); v != nil {
				err = fmt.Errorf("sqlhttp: handler aborted: %v", v)
				w.fail(err)
			}
			w.WriteHeader(http.StatusOK) // a handler that wrote nothing answers 200
			pw.CloseWithError(err)
		}()
		t.h.ServeHTTP(w, in)
	}()
	var timeout <-chan time.Time
	if t.headerTimeout > 0 {
		timer := time.NewTimer(t.headerTimeout)
		defer timer.Stop()
		timeout = timer.C
	}
	select {
	case <-w.ready:
	case <-ctx.Done():
		// As a socket's transport does, without waiting for the handler:
		// its writes fail from now on, and it ends with the context.
		cancel(context.Cause(req.Context()))
		return nil, context.Cause(req.Context())
	case <-timeout:
		cancel(errHeaderTimeout)
		return nil, errHeaderTimeout
	}
	if w.err != nil {
		cancel(w.err)
		return nil, w.err
	}
	resp := &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          &cancelOnClose{ReadCloser: pr, cancel: cancel},
		ContentLength: -1,
		Request:       req,
	}
	if n, err := strconv.ParseInt(w.sent.Get("Content-Length"), 10, 64); err == nil {
		resp.ContentLength = n
	}
	if req.Method == http.MethodHead {
		resp.Body.Close()
		resp.Body = http.NoBody
	}
	return resp, nil
}

// cancelOnClose is an in-process response body: closing it ends the
// handler's context, so the statement stops as it would for a client that
// hangs up.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelCauseFunc
}

func (b *cancelOnClose) Close() error {
	b.cancel(errors.New("response body closed"))
	return b.ReadCloser.Close()
}

// pipeWriter is the handler's side of an in-process response.
type pipeWriter struct {
	header http.Header
	body   *io.PipeWriter
	once   sync.Once
	ready  chan struct{} // closed once the header is sent, or the handler failed first
	status int
	sent   http.Header // the header as sent
	err    error       // set, with ready closed, if the handler failed before its header
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) {
	w.once.Do(func() {
		w.status, w.sent = code, w.header.Clone()
		close(w.ready)
	})
}

// fail ends the response with err if no header was sent yet.
func (w *pipeWriter) fail(err error) {
	w.once.Do(func() {
		w.err = err
		close(w.ready)
	})
}

func (w *pipeWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush is a no-op: every Write reaches the reader before it returns.
func (w *pipeWriter) Flush() {}
