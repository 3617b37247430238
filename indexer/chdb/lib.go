package chdb

import (
	"fmt"
	"sync"
	"time"
	"unsafe"

	"github.com/ebitengine/purego"
)

// lib holds the libchdb entry points. They are bound once per process:
// the library is 566 MB and keeps global engine state, so loading it twice
// would gain nothing and cost seconds.
type lib struct {
	path     string
	loadTime time.Duration

	setSignalHandlersEnabled func(enabled int32)
	connect                  func(argc int32, argv unsafe.Pointer) unsafe.Pointer
	closeConn                func(connp unsafe.Pointer)
	queryN                   func(conn uintptr, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr) uintptr
	queryWithParamsN         func(conn uintptr, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr, names, nameLens, values, valueLens unsafe.Pointer, n uintptr) uintptr
	streamQueryN             func(conn uintptr, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr) uintptr
	streamQueryWithParamsN   func(conn uintptr, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr, names, nameLens, values, valueLens unsafe.Pointer, n uintptr) uintptr
	streamFetchResult        func(conn uintptr, res uintptr) uintptr
	streamCancelQuery        func(conn uintptr, res uintptr)
	destroyQueryResult       func(res uintptr)
	streamInsertN            func(conn uintptr, q unsafe.Pointer, qlen uintptr, f unsafe.Pointer, flen uintptr) uintptr
	streamAppend             func(s uintptr, data unsafe.Pointer, n uintptr) int32
	streamDone               func(s uintptr) uintptr
	streamCancelInsert       func(s uintptr)
	streamInsertError        func(s uintptr) unsafe.Pointer
	destroyInsertStream      func(s uintptr)
	resultBuffer             func(res uintptr) unsafe.Pointer
	resultLength             func(res uintptr) uintptr
	resultElapsed            func(res uintptr) float64
	resultRowsRead           func(res uintptr) uint64
	resultBytesRead          func(res uintptr) uint64
	resultRowsWritten        func(res uintptr) uint64
	resultBytesWritten       func(res uintptr) uint64
	resultError              func(res uintptr) unsafe.Pointer
	classifyQueryN           func(conn uintptr, sql unsafe.Pointer, n uintptr, db unsafe.Pointer, dbn uintptr, out unsafe.Pointer) int32
}

var (
	libMu  sync.Mutex
	theLib *lib
)

// loadLib binds the library at path on first success. Later calls return
// the same binding whatever path they name: a process gets one engine. A
// failure is not remembered, so a corrected path can still load.
func loadLib(path string) (*lib, error) {
	libMu.Lock()
	defer libMu.Unlock()
	if theLib != nil {
		return theLib, nil
	}
	l, err := bindLib(path)
	if err == nil {
		theLib = l
	}
	return l, err
}

func bindLib(path string) (l *lib, err error) {
	// RegisterLibFunc panics on a missing symbol (an older library); turn
	// that into an error so a wrong ETHIDX_LIBCHDB never crashes ethidx.
	defer func() {
		if r := recover(); r != nil {
			l, err = nil, fmt.Errorf("binding %s: %v (need chDB 26.7 or later)", path, r)
		}
	}()
	start := time.Now()
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", path, err)
	}
	l = &lib{path: path}
	for name, fp := range map[string]any{
		"chdb_set_signal_handlers_enabled": &l.setSignalHandlersEnabled,
		"chdb_connect":                     &l.connect,
		"chdb_close_conn":                  &l.closeConn,
		"chdb_query_n":                     &l.queryN,
		"chdb_query_with_params_n":         &l.queryWithParamsN,
		"chdb_stream_query_n":              &l.streamQueryN,
		"chdb_stream_query_with_params_n":  &l.streamQueryWithParamsN,
		"chdb_stream_fetch_result":         &l.streamFetchResult,
		"chdb_stream_cancel_query":         &l.streamCancelQuery,
		"chdb_destroy_query_result":        &l.destroyQueryResult,
		"chdb_stream_insert_n":             &l.streamInsertN,
		"chdb_stream_append":               &l.streamAppend,
		"chdb_stream_done":                 &l.streamDone,
		"chdb_stream_cancel_insert":        &l.streamCancelInsert,
		"chdb_stream_insert_error":         &l.streamInsertError,
		"chdb_destroy_insert_stream":       &l.destroyInsertStream,
		"chdb_result_buffer":               &l.resultBuffer,
		"chdb_result_length":               &l.resultLength,
		"chdb_result_elapsed":              &l.resultElapsed,
		"chdb_result_rows_read":            &l.resultRowsRead,
		"chdb_result_bytes_read":           &l.resultBytesRead,
		"chdb_result_rows_written":         &l.resultRowsWritten,
		"chdb_result_bytes_written":        &l.resultBytesWritten,
		"chdb_result_error":                &l.resultError,
		"chdb_classify_query_n":            &l.classifyQueryN,
	} {
		purego.RegisterLibFunc(fp, h, name)
	}
	// Go must keep SIGINT/SIGTERM (clean shutdown) and SIGPROF/SIGURG
	// (runtime); the engine's own handlers would take them over.
	l.setSignalHandlersEnabled(0)
	l.loadTime = time.Since(start)
	return l, nil
}

// goString copies a NUL-terminated C string; 0 gives "".
func goString(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// cBytes views n bytes of C memory. The view dies with the result that
// owns it; callers copy or write it out before destroying the result.
func cBytes(p unsafe.Pointer, n uintptr) []byte {
	if p == nil || n == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(p), n)
}

// strPtr returns a pointer to s's bytes for a (ptr, len) C argument. The
// callee never writes through it; callers keep s alive across the call.
func strPtr(s string) unsafe.Pointer {
	if s == "" {
		return unsafe.Pointer(&zeroByte)
	}
	return unsafe.Pointer(unsafe.StringData(s))
}

var zeroByte byte
