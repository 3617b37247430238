package sqlhttp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// Transport returns a RoundTripper that hands each request to s in this
// process, without a socket: for the serving process's own clickhouse-go
// connection (package store), whose inserts would otherwise cross the
// loopback device twice, a copy into the kernel and one out, about 3% of a
// backfill's CPU. The request is served by the same handler as one from
// the network, authentication and settings included; what a socket adds
// (the stall deadlines on reads and writes) does not apply, as the client
// is this process.
//
// The response streams: RoundTrip returns once the handler has written its
// header, and the body is read as the handler writes it. Closing the body,
// or ending the request's context, stops the handler's next write.
func (s *Server) Transport() http.RoundTripper { return inProcess{s} }

type inProcess struct{ h http.Handler }

func (t inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
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
		var err error
		defer func() {
			// As a server does: the request body is closed once served (the
			// client's writer stops), and a handler that panics with
			// ErrAbortHandler cuts the response off.
			in.Body.Close()
			if v := recover(); v != nil {
				err = fmt.Errorf("sqlhttp: handler aborted: %v", v)
			}
			w.WriteHeader(http.StatusOK) // a handler that wrote nothing answers 200
			pw.CloseWithError(err)
		}()
		t.h.ServeHTTP(w, in)
	}()
	select {
	case <-w.ready:
	case <-ctx.Done():
		// As a socket's transport does, without waiting for the handler:
		// its writes fail from now on, and it ends with the context.
		pr.CloseWithError(context.Cause(ctx))
		return nil, context.Cause(ctx)
	}
	resp := &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Body:          pr,
		ContentLength: -1,
		Request:       req,
	}
	if n, err := strconv.ParseInt(w.sent.Get("Content-Length"), 10, 64); err == nil {
		resp.ContentLength = n
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
		pr.Close()
	}
	return resp, nil
}

// pipeWriter is the handler's side of an in-process response.
type pipeWriter struct {
	header http.Header
	body   *io.PipeWriter
	once   sync.Once
	ready  chan struct{} // closed once the header is sent
	status int
	sent   http.Header // the header as sent
}

func (w *pipeWriter) Header() http.Header { return w.header }

func (w *pipeWriter) WriteHeader(code int) {
	w.once.Do(func() {
		w.status, w.sent = code, w.header.Clone()
		close(w.ready)
	})
}

func (w *pipeWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush is a no-op: every Write reaches the reader before it returns.
func (w *pipeWriter) Flush() {}
