package chdb

import "runtime"

// The engine keeps per-query state in thread-local storage and checks,
// when that state is destroyed, that it is on the thread that created it
// ("ThreadStatus: current_thread contains invalid address" otherwise). A
// goroutine may move between OS threads at any call, so every call on a
// connection, from connecting to closing, and every call of a streaming
// query or insert, runs on that connection's own worker: a goroutine
// locked to one OS thread for the connection's whole life. Statements on
// different connections still run in parallel, one thread each.

// worker runs functions on one locked OS thread.
type worker struct{ jobs chan func() }

func newWorker() *worker {
	w := &worker{jobs: make(chan func())}
	go func() {
		// Never unlocked: when the worker ends, its thread ends with it,
		// and any thread-local engine state with the thread.
		runtime.LockOSThread()
		for f := range w.jobs {
			f()
		}
	}()
	return w
}

// do runs f on the worker's thread and waits for it. A panic in f is
// raised again in the caller, where the usual recovery (the HTTP
// server's) applies.
func (w *worker) do(f func()) {
	done := make(chan struct{})
	var p any
	w.jobs <- func() {
		defer func() {
			p = recover()
			close(done)
		}()
		f()
	}
	<-done
	if p != nil {
		panic(p)
	}
}

// stop ends the worker (and its thread) once pending work is done.
func (w *worker) stop() { close(w.jobs) }

// do runs f on c's thread.
func (c *conn) do(f func()) { c.w.do(f) }

// closeConn closes c on its thread, then ends the thread.
func (e *Engine) closeConn(c *conn) {
	c.do(func() { e.lib.closeConn(c.p) })
	c.w.stop()
}
