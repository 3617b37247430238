package chdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"time"
	"unsafe"
)

// Query classes reported by chdb_classify_query_n.
const (
	classReadOnly       = 0
	classMutating       = 1
	classMutatingGlobal = 2
	classControl        = 3
	classUnknown        = 4
)

// classify asks the engine's parser what sql does and how many statements
// it holds. Failure reads as unknown: the statement then runs and the
// engine reports what is wrong with it.
func (e *Engine) classify(c *conn, sql, db string) (class uint32, count uint32) {
	// chdb_query_analysis_v1: struct_size, statement_count, flags, query_class.
	var a [4]uint32
	a[0] = uint32(unsafe.Sizeof(a))
	rc := e.lib.classifyQueryN(c.h, strPtr(sql), uintptr(len(sql)), strPtr(db), uintptr(len(db)), unsafe.Pointer(&a[0]))
	runtime.KeepAlive(sql)
	runtime.KeepAlive(db)
	if rc != 0 {
		return classUnknown, 1
	}
	return a[3], a[1]
}

// cParams lays out {name:Type} parameter values as the C API wants them:
// parallel arrays of pointers and lengths. keep pins the Go memory.
type cParams struct {
	names, nameLens, values, valueLens unsafe.Pointer
	n                                  uintptr
	keep                               []any
}

func makeParams(m map[string]string) cParams {
	if len(m) == 0 {
		return cParams{}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	names := make([]unsafe.Pointer, len(keys))
	values := make([]unsafe.Pointer, len(keys))
	nameLens := make([]uintptr, len(keys))
	valueLens := make([]uintptr, len(keys))
	for i, k := range keys {
		v := m[k]
		names[i], nameLens[i] = strPtr(k), uintptr(len(k))
		values[i], valueLens[i] = strPtr(v), uintptr(len(v))
	}
	return cParams{
		names: unsafe.Pointer(&names[0]), nameLens: unsafe.Pointer(&nameLens[0]),
		values: unsafe.Pointer(&values[0]), valueLens: unsafe.Pointer(&valueLens[0]),
		n: uintptr(len(keys)), keep: []any{keys, m, names, values, nameLens, valueLens},
	}
}

// stream runs st on c through the streaming query API and copies each
// chunk to w as it arrives, so output size never shapes memory use.
func (e *Engine) stream(ctx context.Context, c *conn, st Statement, mode outputMode, w io.Writer) (Stats, error) {
	start := time.Now()
	var res uintptr
	if len(st.Params) > 0 {
		p := makeParams(st.Params)
		res = e.lib.streamQueryWithParamsN(c.h, strPtr(st.SQL), uintptr(len(st.SQL)), strPtr(st.Format), uintptr(len(st.Format)),
			p.names, p.nameLens, p.values, p.valueLens, p.n)
		runtime.KeepAlive(p.keep)
	} else {
		res = e.lib.streamQueryN(c.h, strPtr(st.SQL), uintptr(len(st.SQL)), strPtr(st.Format), uintptr(len(st.Format)))
	}
	runtime.KeepAlive(st.SQL)
	runtime.KeepAlive(st.Format)
	if res == 0 {
		return Stats{}, errors.New("engine returned no result")
	}
	defer e.lib.destroyQueryResult(res)
	if msg := goString(e.lib.resultError(res)); msg != "" {
		return Stats{}, parseError(msg)
	}

	// A watcher that kills the query when ctx ends would have to share the
	// connection with the fetch loop, which the API forbids; the loop checks
	// ctx between chunks and max_execution_time bounds a single chunk.
	var stats Stats
	chunks := 0
	for {
		if ctx.Err() != nil {
			e.lib.streamCancelQuery(c.h, res)
			return stats, cancelled(ctx)
		}
		chunk := e.lib.streamFetchResult(c.h, res)
		if chunk == 0 {
			return stats, errors.New("engine returned no result chunk")
		}
		if msg := goString(e.lib.resultError(chunk)); msg != "" {
			e.lib.destroyQueryResult(chunk)
			return stats, parseError(msg)
		}
		n := e.lib.resultLength(chunk)
		stats.RowsRead += e.lib.resultRowsRead(chunk)
		stats.BytesRead += e.lib.resultBytesRead(chunk)
		if n == 0 {
			e.lib.destroyQueryResult(chunk)
			break
		}
		data := cBytes(e.lib.resultBuffer(chunk), n)
		var err error
		if chunks++; chunks > 1 {
			data, err = mode.stripHeader(data)
		}
		if err == nil {
			_, err = w.Write(data)
		}
		e.lib.destroyQueryResult(chunk)
		if err != nil {
			e.lib.streamCancelQuery(c.h, res)
			return stats, fmt.Errorf("writing query output: %w", err)
		}
	}
	stats.Elapsed = time.Since(start)
	return stats, nil
}

// query runs st on c unstreamed: the engine streams only SELECT-like
// statements, and the rest (DDL, INSERT ... SELECT, SHOW) print little.
func (e *Engine) query(c *conn, st Statement, w io.Writer) (Stats, error) {
	start := time.Now()
	var res uintptr
	if len(st.Params) > 0 {
		p := makeParams(st.Params)
		res = e.lib.queryWithParamsN(c.h, strPtr(st.SQL), uintptr(len(st.SQL)), strPtr(st.Format), uintptr(len(st.Format)),
			p.names, p.nameLens, p.values, p.valueLens, p.n)
		runtime.KeepAlive(p.keep)
	} else {
		res = e.lib.queryN(c.h, strPtr(st.SQL), uintptr(len(st.SQL)), strPtr(st.Format), uintptr(len(st.Format)))
	}
	runtime.KeepAlive(st.SQL)
	runtime.KeepAlive(st.Format)
	if res == 0 {
		return Stats{}, errors.New("engine returned no result")
	}
	defer e.lib.destroyQueryResult(res)
	if msg := goString(e.lib.resultError(res)); msg != "" {
		return Stats{}, parseError(msg)
	}
	stats := Stats{
		RowsRead:     e.lib.resultRowsRead(res),
		BytesRead:    e.lib.resultBytesRead(res),
		RowsWritten:  e.lib.resultRowsWritten(res),
		BytesWritten: e.lib.resultBytesWritten(res),
		Elapsed:      time.Since(start),
	}
	if n := e.lib.resultLength(res); n > 0 {
		if _, err := w.Write(cBytes(e.lib.resultBuffer(res), n)); err != nil {
			return stats, fmt.Errorf("writing query output: %w", err)
		}
	}
	return stats, nil
}

// insertChunk is how much of an insert body is handed to the engine at a
// time: big enough that per-call overhead vanishes, small enough to keep
// memory flat for any body size.
const insertChunk = 1 << 20

// insert feeds body to the streaming INSERT API on c.
func (e *Engine) insert(ctx context.Context, c *conn, st Statement, body io.Reader) (Stats, error) {
	start := time.Now()
	s := e.lib.streamInsertN(c.h, strPtr(st.SQL), uintptr(len(st.SQL)), strPtr(st.Format), uintptr(len(st.Format)))
	runtime.KeepAlive(st.SQL)
	runtime.KeepAlive(st.Format)
	if s == 0 {
		return Stats{}, errors.New("engine returned no insert stream")
	}
	defer e.lib.destroyInsertStream(s)
	if msg := goString(e.lib.streamInsertError(s)); msg != "" {
		return Stats{}, parseError(msg)
	}
	buf := make([]byte, insertChunk)
	for {
		if ctx.Err() != nil {
			e.lib.streamCancelInsert(s)
			return Stats{}, cancelled(ctx)
		}
		n, rerr := io.ReadFull(body, buf)
		if n > 0 {
			if e.lib.streamAppend(s, unsafe.Pointer(&buf[0]), uintptr(n)) != 0 {
				msg := goString(e.lib.streamInsertError(s))
				if msg == "" {
					msg = "insert stream refused data"
				}
				return Stats{}, parseError(msg)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			e.lib.streamCancelInsert(s)
			return Stats{}, fmt.Errorf("reading insert data: %w", rerr)
		}
	}
	runtime.KeepAlive(buf)
	r := e.lib.streamDone(s)
	if r == 0 {
		return Stats{}, errors.New("engine returned no insert result")
	}
	defer e.lib.destroyQueryResult(r)
	if msg := goString(e.lib.resultError(r)); msg != "" {
		return Stats{}, parseError(msg)
	}
	if msg := goString(e.lib.streamInsertError(s)); msg != "" {
		return Stats{}, parseError(msg)
	}
	return Stats{
		RowsWritten:  e.lib.resultRowsWritten(r),
		BytesWritten: e.lib.resultBytesWritten(r),
		Elapsed:      time.Since(start),
	}, nil
}
