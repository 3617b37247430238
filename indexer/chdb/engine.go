// Package chdb embeds the ClickHouse engine (chDB's libchdb.so) in the ethidx
// process, loaded with purego so ethidx builds without cgo.
//
// The engine runs one statement per connection at a time, so an Engine keeps
// a small pool of connections to one data directory and hands each statement
// its own. Per-statement settings, read-only mode and the current database
// are applied to the connection the statement gets, never leaked to the next
// one. Everything that writes data with a body goes through the engine's
// streaming INSERT API: binary data inlined in query text gets corrupted.
//
// A process can have one data directory open at a time (an engine
// limitation), and a directory can be open in one process at a time (an
// flock on ethidx.lock; see LockedError).
package chdb

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/ethidx/ethidx/sqltext"
)

// Options configures Open. The zero value is usable.
type Options struct {
	// Conns is how many statements may run at once; default 4. More only
	// helps with more cores: each statement already uses every core.
	Conns int
	// LibraryPath is the libchdb.so to load; default LibraryPath().
	LibraryPath string
	// Settings apply to every statement, e.g. {"max_threads": "2"}.
	Settings map[string]string
	// Logger receives engine events; default slog.Default().
	Logger *slog.Logger
	// Reserved is how many of the Conns readers (Statement.Reader) may not
	// use, so writers — the process's own statements — never wait behind
	// endpoint users' queries, which may stall on a slow client; default
	// 1, at most Conns-1.
	Reserved int
	// QueueTimeout bounds how long a reader's statement waits for a
	// connection before it is refused with TOO_MANY_SIMULTANEOUS_QUERIES;
	// default 10s.
	QueueTimeout time.Duration
	// EngineLogLevel is the level of the engine's own log, written to
	// EngineLog() in the data directory: "warning" by default, "debug"
	// or "trace" to see what the engine does (ethidx --verbose).
	EngineLogLevel string
	// ConfigFile is a ClickHouse configuration file for the engine (as a
	// server's config.xml), merged into the one ethidx writes. Tests use
	// it to define a cluster (the cluster form's Distributed tables need
	// one to be created); ethidx itself runs without.
	ConfigFile string
	// Bounds are the limits the engine enforces (see Bounds).
	Bounds Bounds
	// Confine, if set, is called once the library is loaded and before
	// the engine starts (and with it its first thread), with the
	// absolute data directory and library path: the moment to restrict
	// the process to its files (package confine), so that every thread
	// the engine starts inherits the restriction. An error stops Open.
	Confine func(dataDir, libraryPath string) error
}

func (o *Options) setDefaults() {
	if o.Conns <= 0 {
		o.Conns = 4
	}
	if o.Reserved <= 0 {
		o.Reserved = 1
	}
	o.Reserved = min(o.Reserved, o.Conns-1)
	if o.QueueTimeout <= 0 {
		o.QueueTimeout = 10 * time.Second
	}
	if o.EngineLogLevel == "" {
		o.EngineLogLevel = "warning"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Statement is one SQL statement with everything that scopes it.
type Statement struct {
	SQL string
	// Format is the output format of a query (default TabSeparated) or the
	// input format of RunInsert's body.
	Format string
	// Params binds {name:Type} placeholders server-side.
	Params map[string]string
	// Database is the current database for the statement; "" is "default".
	Database string
	// ReadOnly, as ClickHouse's readonly setting: 0 allows everything;
	// 1 refuses anything that changes state, settings included; 2 refuses
	// changes of state but lets the statement set query settings.
	ReadOnly uint8
	// Settings are ClickHouse query-level settings for this statement only.
	Settings map[string]string
	// Untrusted marks a statement from outside the process (the SQL
	// endpoint's users, admins included): it must not reach the host's
	// files, network, arguments or environment (see hostGuard).
	Untrusted bool
	// Reader marks a statement of a read-only endpoint user: it runs on
	// the readers' share of the connections (two fewer than all; an
	// Untrusted one of an admin, one fewer: Options.Reserved) and waits at
	// most Options.QueueTimeout for one.
	Reader bool
}

// Stats reports what a statement did.
type Stats struct {
	RowsRead, BytesRead       uint64
	RowsWritten, BytesWritten uint64
	Elapsed                   time.Duration
}

// Engine is an open data directory. It is safe for concurrent use.
type Engine struct {
	lib     *lib
	dataDir string
	opts    Options
	log     *slog.Logger
	guard   *hostGuard
	booted  bool // the first connection, which configures the engine's log, is made
	lock    *os.File
	config  string        // the engine's configuration file
	slots   chan struct{} // one token per running statement
	shared  chan struct{} // one token per running endpoint statement: Conns-Reserved of them
	readers chan struct{} // one per running read-only user's statement: one fewer than shared
	done    chan struct{} // closed by Close

	mu     sync.Mutex
	idle   []*conn // least recently used first
	closed bool
	kills  sync.WaitGroup // running kill(), which Close must outwait
}

// conn is one engine connection. Its key names the settings applied to it,
// so only statements wanting exactly those settings reuse it.
type conn struct {
	p   unsafe.Pointer // chdb_connection*, needed to close it
	h   uintptr        // chdb_connection
	key string
	// trusted connections run the process's own statements, without the
	// endpoint users' limits (see Bounds).
	trusted bool
	db      string  // current database
	w       *worker // the OS thread every call on the connection runs on
	// lane is the lane of the statement the conn runs, whose tokens it
	// holds (see takeSlot).
	lane lane
}

// lane is which share of the connections a statement may use.
type lane uint8

const (
	laneOwn      lane = iota // the process's own statements: any connection
	laneEndpoint             // endpoint users': all but Options.Reserved
	laneReader               // read-only users': one fewer still, so admins get one
)

func laneOf(st Statement) lane {
	switch {
	case st.Reader:
		return laneReader
	case st.Untrusted:
		return laneEndpoint
	}
	return laneOwn
}

// DisplayName is what the engine reports as its server's name, in place
// of the host's.
const DisplayName = "ethidx"

// process-wide: the engine serves one data directory per process.
var (
	procMu   sync.Mutex
	procDir  string
	procOpen int
)

// Open loads the engine library (once per process), locks dataDir and
// connects to it. If another process holds dataDir it returns *LockedError.
func Open(dataDir string, opts Options) (*Engine, error) {
	opts.setDefaults()
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("resolving data dir: %w", err)
	}
	for k := range opts.Settings {
		if !sqltext.ValidIdent(k) {
			return nil, fmt.Errorf("invalid setting name %q", k)
		}
	}
	switch opts.EngineLogLevel {
	case "none", "fatal", "critical", "error", "warning", "notice", "information", "debug", "trace":
	default:
		return nil, fmt.Errorf("invalid engine log level %q", opts.EngineLogLevel)
	}
	libPath := opts.LibraryPath
	if libPath == "" {
		if libPath, err = LibraryPath(); err != nil {
			return nil, err
		}
	}
	l, err := loadLib(libPath)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}

	procMu.Lock()
	defer procMu.Unlock()
	if procOpen > 0 && procDir != dir {
		return nil, fmt.Errorf("engine already open on %s: one data directory per process", procDir)
	}
	lock, err := lockDataDir(dir)
	if err != nil {
		return nil, err
	}
	config, err := writeConfig(dir, opts.Bounds, opts.ConfigFile)
	if err != nil {
		lock.Close()
		return nil, err
	}
	if opts.Confine != nil {
		// Everything this process reads outside the data directory is
		// read by now (the library, the configuration), and the engine
		// has started no thread yet.
		if err := opts.Confine(dir, l.path); err != nil {
			lock.Close()
			return nil, err
		}
	}
	e := &Engine{
		config:  config,
		lib:     l,
		dataDir: dir,
		opts:    opts,
		log:     opts.Logger,
		lock:    lock,
		slots:   make(chan struct{}, opts.Conns),
		shared:  make(chan struct{}, opts.Conns-opts.Reserved),
		readers: make(chan struct{}, max(1, opts.Conns-opts.Reserved-1)),
		done:    make(chan struct{}),
	}
	// The first connection boots the engine on dir; keep it idle for reuse.
	start := time.Now()
	var c *conn
	captureStderr(e.log, func() { c, err = e.dial("", Statement{}, true) })
	e.booted = true
	if err != nil {
		lock.Close()
		return nil, err
	}
	if err := e.loadHostGuard(c); err == nil {
		err = e.exec(c, "CREATE DATABASE IF NOT EXISTS "+SandboxDatabase+" ENGINE = Atomic")
		if err != nil {
			e.closeConn(c)
			lock.Close()
			return nil, fmt.Errorf("creating the endpoint's sandbox database: %w", err)
		}
	} else {
		e.closeConn(c)
		lock.Close()
		return nil, err
	}
	e.idle = append(e.idle, c)
	procDir, procOpen = dir, procOpen+1
	e.log.Debug("engine open", "data_dir", dir, "library", l.path, "engine_log", e.EngineLog(),
		"load_ms", l.loadTime.Milliseconds(), "boot_ms", time.Since(start).Milliseconds())
	return e, nil
}

// DataDir is the absolute data directory.
func (e *Engine) DataDir() string { return e.dataDir }

// EngineLog is the file the engine's own log lines go to.
func (e *Engine) EngineLog() string { return filepath.Join(e.dataDir, "engine.log") }

// LoadTime is how long loading and binding the library took (once per
// process; later engines report the same figure).
func (e *Engine) LoadTime() time.Duration { return e.lib.loadTime }

// Close waits for running statements, closes the connections and releases
// the data directory. The library stays loaded (it cannot be unloaded), and
// a later Open, even of another directory, works.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	close(e.done)
	e.mu.Unlock()
	e.kills.Wait()
	for range cap(e.slots) {
		e.slots <- struct{}{}
	}
	e.mu.Lock()
	for _, c := range e.idle {
		e.closeConn(c)
	}
	e.idle = nil
	e.mu.Unlock()
	procMu.Lock()
	procOpen--
	procMu.Unlock()
	e.log.Debug("engine closed", "data_dir", e.dataDir)
	return e.lock.Close()
}

// Query runs sql and returns its whole output in format.
func (e *Engine) Query(ctx context.Context, sql, format string, params map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	_, err := e.Run(ctx, Statement{SQL: sql, Format: format, Params: params}, &buf)
	return buf.Bytes(), err
}

// Stream runs sql and writes its output to w chunk by chunk as the engine
// produces it. It stops the query if ctx ends or a write fails.
func (e *Engine) Stream(ctx context.Context, sql, format string, params map[string]string, w io.Writer) error {
	_, err := e.Run(ctx, Statement{SQL: sql, Format: format, Params: params}, w)
	return err
}

// Exec runs a statement that returns nothing worth reading (DDL, INSERT ...
// SELECT, ALTER).
func (e *Engine) Exec(ctx context.Context, sql string, params map[string]string) error {
	_, err := e.Run(ctx, Statement{SQL: sql, Params: params}, io.Discard)
	return err
}

// Insert streams body, encoded in format, into insertSQL, an INSERT without
// FORMAT clause or data ("INSERT INTO t (a, b)"). It returns rows written.
func (e *Engine) Insert(ctx context.Context, insertSQL, format string, body io.Reader) (uint64, error) {
	st, err := e.RunInsert(ctx, Statement{SQL: insertSQL, Format: format}, body)
	return st.RowsWritten, err
}

// Run executes one statement, streaming its output to w.
func (e *Engine) Run(ctx context.Context, st Statement, w io.Writer) (_ Stats, err error) {
	if st.Format == "" {
		st.Format = "TabSeparated"
	}
	if strings.IndexByte(st.SQL, 0) >= 0 {
		return Stats{}, errNUL
	}
	if err := e.guardUntrusted(ctx, &st); err != nil {
		return Stats{}, err
	}
	c, err := e.acquire(ctx, st)
	if err != nil {
		return Stats{}, err
	}
	dirty := false
	// After a failure, above all a cancelled one, a connection can hold
	// leftovers of the statement (unread output was seen): drop it.
	defer func() {
		// A panic mid-statement leaves the connection in an unknown
		// state: it is dropped, and the panic goes on.
		p := recover()
		e.release(c, p != nil || dirty || err != nil)
		if p != nil {
			panic(p)
		}
	}()

	var class, count uint32
	c.do(func() { class, count = e.classify(c, st.SQL, st.Database) })
	switch {
	case count > 1:
		return Stats{}, NewError(CodeSyntaxError, "SYNTAX_ERROR", "Multi-statements are not allowed")
	case st.ReadOnly > 0 && class != classReadOnly && class != classUnknown:
		return Stats{}, NewError(CodeReadonly, "READONLY", "Cannot execute query in readonly mode")
	}
	// USE, SET and friends change the session: drop the connection after.
	dirty = class == classControl
	if ctx.Done() != nil {
		// The engine checks for cancellation only between blocks and a
		// connection takes one call at a time, so a statement stuck in a long
		// computation is stopped from outside: KILL QUERY, finding it by a
		// marker comment appended to its text.
		id := randomHex()
		marker := "\n/* ethidx:" + id + " */"
		st.SQL += marker
		finished := make(chan struct{})
		stop := context.AfterFunc(ctx, func() { e.kill(id, finished) })
		defer stop()
		defer close(finished) // before stop: a running kill ends
		defer func() {
			// Errors quote the statement; keep the marker out of them.
			var ce *Error
			if errors.As(err, &ce) {
				ce.Message = strings.ReplaceAll(ce.Message, marker, "")
			}
		}()
	}
	format := st.Format
	if f := sqltext.OutputFormat(st.SQL); f != "" {
		format = f // the statement's FORMAT clause wins over st.Format
	}
	if mode := outputModeFor(format); class == classReadOnly && mode.stream {
		var stats Stats
		var err error
		c.do(func() { stats, err = e.stream(ctx, c, st, mode, w) })
		var ce *Error
		if !errors.As(err, &ce) || ce.Code != codeBadArguments || !strings.Contains(ce.Message, "Streaming query is not supported") {
			return stats, err
		}
		// SHOW and friends only run unstreamed; their output is small.
	}
	var stats Stats
	c.do(func() { stats, err = e.query(c, st, w) })
	return stats, err
}

// RunInsert streams body into st.SQL, an INSERT without FORMAT clause or
// inline data, with st.Format naming the body's format.
func (e *Engine) RunInsert(ctx context.Context, st Statement, body io.Reader) (Stats, error) {
	if st.ReadOnly > 0 {
		return Stats{}, NewError(CodeReadonly, "READONLY", "Cannot execute query in readonly mode")
	}
	if st.Format == "" {
		return Stats{}, errors.New("insert: no input format")
	}
	if strings.IndexByte(st.SQL, 0) >= 0 {
		return Stats{}, errNUL
	}
	if err := e.guardUntrusted(ctx, &st); err != nil {
		return Stats{}, err
	}
	c, err := e.acquire(ctx, st)
	if err != nil {
		return Stats{}, err
	}
	dirty := false
	defer func() {
		p := recover() // as in Run
		e.release(c, p != nil || dirty)
		if p != nil {
			panic(p)
		}
	}()
	var stats Stats
	c.do(func() { stats, err = e.insert(ctx, c, st, body) })
	// A failed or cancelled insert stream may leave the connection mid-state.
	dirty = err != nil
	return stats, err
}

// ErrClosed is returned for statements on a closed Engine.
var ErrClosed = errors.New("chdb: engine closed")

// errNUL refuses statement text with a NUL byte: the engine would stop
// reading there and run what precedes it.
var errNUL = NewError(CodeSyntaxError, "SYNTAX_ERROR", "Query contains a NUL byte")

// settingsKey canonicalises the settings a statement needs from its
// connection. Statements with equal keys can share connections.
func (e *Engine) settingsKey(st Statement) (string, error) {
	keys := make([]string, 0, len(st.Settings))
	for k := range st.Settings {
		if !sqltext.ValidIdent(k) {
			return "", NewError(CodeUnknownSetting, "UNKNOWN_SETTING", "Invalid setting name %q", k)
		}
		if _, ok := e.opts.Settings[k]; !ok || e.opts.Settings[k] != st.Settings[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s, ", k, sqltext.QuoteString(st.Settings[k]))
	}
	if st.ReadOnly > 0 {
		// Last: once readonly is on, settings may not change.
		fmt.Fprintf(&b, "readonly = %d", min(st.ReadOnly, 2))
	}
	return strings.TrimSuffix(b.String(), ", "), nil
}

// acquire waits for a free slot and returns a connection configured for st.
func (e *Engine) acquire(ctx context.Context, st Statement) (*conn, error) {
	key, err := e.settingsKey(st)
	if err != nil {
		return nil, err
	}
	trusted := !st.Untrusted
	if err := e.takeSlot(ctx, laneOf(st)); err != nil {
		return nil, err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		e.giveSlot(laneOf(st))
		return nil, ErrClosed
	}
	var c *conn
	for i := len(e.idle) - 1; i >= 0; i-- {
		if e.idle[i].key == key && e.idle[i].trusted == trusted {
			c = e.idle[i]
			e.idle = slices.Delete(e.idle, i, i+1)
			break
		}
	}
	e.mu.Unlock()
	if c == nil {
		if c, err = e.dial(key, st, trusted); err != nil {
			e.giveSlot(laneOf(st))
			return nil, err
		}
	}
	c.lane = laneOf(st)
	db := st.Database
	if db == "" {
		db = "default"
	}
	if c.db != db {
		if err := e.exec(c, "USE "+sqltext.QuoteIdent(db)); err != nil {
			e.release(c, true)
			return nil, err
		}
		c.db = db
	}
	return c, nil
}

// release returns c to the idle list, or closes it if its session state is
// unknown (dirty) or the idle list is full.
func (e *Engine) release(c *conn, dirty bool) {
	var drop *conn // closed after the lock: closing waits on the engine
	e.mu.Lock()
	l := c.lane
	c.lane = laneOwn
	if dirty || e.closed {
		drop = c
	} else {
		e.idle = append(e.idle, c)
		if len(e.idle) > 2*cap(e.slots) {
			drop = e.idle[0]
			e.idle = slices.Delete(e.idle, 0, 1)
		}
	}
	e.mu.Unlock()
	if drop != nil {
		e.closeConn(drop)
	}
	e.giveSlot(l)
}

// takeSlot waits for a connection slot. The process's own statements
// (the writers) take any free slot. Endpoint users' first need one of the
// shared tokens, so Reserved slots stay free for the writers, and read-only
// users' one of the readers' tokens before that, so one more stays free for
// admins; they wait at most QueueTimeout.
func (e *Engine) takeSlot(ctx context.Context, l lane) error {
	var timeout <-chan time.Time
	if l != laneOwn {
		t := time.NewTimer(e.opts.QueueTimeout)
		defer t.Stop()
		timeout = t.C
	}
	pools := e.pools(l)
	for i, p := range pools {
		var err error
		select {
		case p <- struct{}{}:
		case <-ctx.Done():
			err = cancelled(ctx)
		case <-e.done:
			err = ErrClosed
		case <-timeout:
			err = e.tooMany(l)
		}
		if err != nil {
			for _, q := range pools[:i] {
				<-q
			}
			return err
		}
	}
	return nil
}

// pools are the tokens a statement of lane l holds, in the order taken.
func (e *Engine) pools(l lane) []chan struct{} {
	switch l {
	case laneReader:
		return []chan struct{}{e.readers, e.shared, e.slots}
	case laneEndpoint:
		return []chan struct{}{e.shared, e.slots}
	}
	return []chan struct{}{e.slots}
}

func (e *Engine) giveSlot(l lane) {
	pools := e.pools(l)
	for i := len(pools) - 1; i >= 0; i-- {
		<-pools[i]
	}
}

func (e *Engine) tooMany(l lane) error {
	n, who := cap(e.shared), "endpoint users"
	if l == laneReader {
		n, who = cap(e.readers), "read-only users"
	}
	return NewError(CodeTooManySimultaneousQueries, "TOO_MANY_SIMULTANEOUS_QUERIES",
		"Too many simultaneous queries: all %d engine connections open to %s are busy after %v; try again later",
		n, who, e.opts.QueueTimeout)
}

// dial opens a connection and applies the settings named by key (those
// of st). A trusted connection is given them, and its freedom from the
// endpoint users' limits, as connection arguments, which the engine
// applies without the profile's constraints; an untrusted one by SET,
// which the constraints check.
func (e *Engine) dial(key string, st Statement, trusted bool) (*conn, error) {
	// The engine's own log goes to a file, never to the console: it
	// writes there only when stdout is a terminal, raw and coloured, in
	// the middle of the user's output (see Options.EngineLogLevel).
	args := []string{"ethidx", "--path=" + e.dataDir, "--config-file=" + e.config}
	if !e.booted {
		// Only the connection that boots the engine configures its log:
		// given again, the engine announces it on stderr each time.
		args = append(args, "--logger.console=0", "--logger.log="+e.EngineLog(), "--log-level="+e.opts.EngineLogLevel)
		// displayName() (and the X-ClickHouse-Server-Display-Name header
		// built from it) otherwise tells every SQL user the host's name.
		args = append(args, "--display_name="+DisplayName)
	}
	names := make([]string, 0, len(e.opts.Settings))
	for k := range e.opts.Settings {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		args = append(args, "--"+k+"="+e.opts.Settings[k])
	}
	if trusted {
		args = append(args, trustedArgs...)
		if key != "" {
			names = names[:0]
			for k := range st.Settings {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				args = append(args, "--"+k+"="+st.Settings[k])
			}
			if st.ReadOnly > 0 {
				args = append(args, fmt.Sprintf("--readonly=%d", min(st.ReadOnly, 2)))
			}
		}
	}
	bufs := make([][]byte, len(args))
	argv := make([]*byte, len(args))
	for i, a := range args {
		bufs[i] = append([]byte(a), 0)
		argv[i] = &bufs[i][0]
	}
	w := newWorker()
	var p unsafe.Pointer
	w.do(func() {
		p = e.lib.connect(int32(len(argv)), unsafe.Pointer(&argv[0]))
		runtime.KeepAlive(bufs)
	})
	if p == nil {
		w.stop()
		return nil, fmt.Errorf("connecting to engine at %s failed (check the settings %v and the engine log)", e.dataDir, e.opts.Settings)
	}
	c := &conn{p: p, h: *(*uintptr)(p), key: key, trusted: trusted, db: "default", w: w}
	if key != "" && !trusted {
		// SET rather than connect arguments: a bad value then comes back
		// as the engine's own error message instead of a failed connect.
		if err := e.exec(c, "SET "+key); err != nil {
			e.closeConn(c)
			return nil, err
		}
	}
	return c, nil
}

// exec runs a short session statement (USE, SET) on c.
func (e *Engine) exec(c *conn, sql string) (err error) {
	c.do(func() { err = e.execOn(c, sql) })
	return err
}

func (e *Engine) execOn(c *conn, sql string) error {
	f := "TabSeparated"
	r := e.lib.queryN(c.h, strPtr(sql), uintptr(len(sql)), strPtr(f), uintptr(len(f)))
	runtime.KeepAlive(sql)
	if r == 0 {
		return errors.New("engine returned no result")
	}
	defer e.lib.destroyQueryResult(r)
	if msg := goString(e.lib.resultError(r)); msg != "" {
		return parseError(msg)
	}
	return nil
}

// kill stops the statement carrying marker id, from a connection of its
// own: every pooled one may be busy. A context can end before the engine
// lists the statement, and a KILL then finds nothing: kill repeats it
// until the statement has returned (finished closes) or the engine
// closes.
func (e *Engine) kill(id string, finished <-chan struct{}) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.kills.Add(1)
	e.mu.Unlock()
	defer e.kills.Done()
	c, err := e.dial("", Statement{}, true)
	if err != nil {
		e.log.Warn("cannot stop cancelled statement", "err", err)
		return
	}
	defer e.closeConn(c)
	// The marker is split so this statement does not match itself.
	sql := "KILL QUERY WHERE position(query, concat('/* ethidx', ':" + id + " */')) > 0 ASYNC"
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		if err := e.exec(c, sql); err != nil {
			e.log.Warn("cannot stop cancelled statement", "err", err)
			return
		}
		select {
		case <-finished:
			return
		case <-e.done:
			return
		case <-time.After(wait):
		}
	}
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// cancelled is the error for a statement stopped by its context, in the
// engine's terms so HTTP clients see a normal exception.
func cancelled(ctx context.Context) error {
	return fmt.Errorf("%w: %w", NewError(CodeQueryWasCancelled, "QUERY_WAS_CANCELLED", "Query was cancelled: %v", ctx.Err()), ctx.Err())
}
