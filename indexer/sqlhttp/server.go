// Package sqlhttp serves the embedded engine over ClickHouse's HTTP
// interface, so that clickhouse-go (Protocol: HTTP), BI tools and curl use
// it as they would a ClickHouse server.
//
// It speaks the part of the interface those clients use: the query in the
// URL or body, INSERT data in the body (Content-Encoding gzip, deflate, br,
// zstd, lz4, or ClickHouse's native LZ4/ZSTD blocks with decompress=1), every
// output format the engine has, param_* query parameters, database,
// query_id, default_format, per-request settings from an allow-list,
// ClickHouse's auth headers, basic auth and user/password parameters, and
// its error reporting (X-ClickHouse-Exception-Code, status codes, in-band
// exceptions once output has started). Results stream: memory does not
// grow with result size.
//
// clickhouse-go's connection hello is answered by the endpoint itself; see
// hello.go for why.
//
// Not supported: HTTP sessions (session_id; every request is its own
// session), external tables (multipart bodies), wait_end_of_query
// buffering and progress headers. Settings outside an allow-list are
// ignored (and logged at debug level) rather than refused, because BI tools
// send many that do not matter here.
package sqlhttp

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/netutil"
	"golang.org/x/sync/semaphore"

	"github.com/ethidx/ethidx/indexer/chdb"
)

// DefaultAddr is loopback: the endpoint is reachable from other machines
// only when the user asks for it.
const DefaultAddr = "127.0.0.1:8123"

// User is an account on the endpoint.
type User struct {
	Name, Password string
	// ReadOnly users can only read, and change only the settings that limit
	// or format their own results (readOnlySettings).
	ReadOnly bool
	// Internal marks the serving process's own account (its random
	// password is shared only through the data directory's endpoint file,
	// readable by the process's OS user alone, with a second ethidx). Only
	// its statements may reach beyond the database (the host guard) and
	// use the engine's reserved share: they are the writers.
	Internal bool

	// peer marks a request an ethidx serve forwards for one of its users
	// (PeerHeader, with the owner's own account): serve authenticated and
	// bounded it, so it skips this endpoint's per-user queues and request
	// limits, but it stays untrusted and on the readers' share.
	peer bool
}

// PeerHeader, on a request made with the serving process's own account,
// turns it into one of an endpoint user: the host guard applies and it
// runs on the readers' share of the engine. An ethidx serve beside the
// process that owns the data directory forwards its users' statements with
// it (see Remote). It can only take privileges away.
const PeerHeader = "X-Ethidx-Peer"

// Backend runs the endpoint's statements: the embedded engine
// (*chdb.Engine), or the endpoint of the ethidx that owns it (Remote).
type Backend interface {
	Run(ctx context.Context, st chdb.Statement, w io.Writer) (chdb.Stats, error)
	RunInsert(ctx context.Context, st chdb.Statement, body io.Reader) (chdb.Stats, error)
	Query(ctx context.Context, sql, format string, params map[string]string) ([]byte, error)
	DataDir() string
	Bounds() chdb.Bounds
}

// Config configures a Server. The zero value serves DefaultAddr with the
// passwordless "default" user and no limits.
type Config struct {
	Addr string
	// Users; none means the single user "default" with an empty password.
	Users []User
	// MaxExecutionTime and MaxMemoryUsage bound every statement of the
	// endpoint's users (not the serving process's own); requests may lower
	// them, not raise them. MaxExecutionTime zero means
	// DefaultMaxExecutionTime, negative no limit; MaxMemoryUsage zero
	// means the engine's default.
	MaxExecutionTime time.Duration
	MaxMemoryUsage   uint64
	// Memory, if set, shares the engine's memory (see Memory): endpoint
	// statements are admitted by their max_memory_usage against the
	// per-user and endpoint-wide shares, and MaxMemoryUsage is at most
	// Memory.PerQuery. The engine must have been opened with the same
	// limits (chdb.Bounds), which it enforces.
	Memory Memory
	// MaxConcurrentPerUser is how many statements one user may run at
	// once (default 2 for read-only users, twice that for others); more
	// wait in a queue.
	MaxConcurrentPerUser int
	// QueueTimeout is how long a statement waits in that queue before it
	// is answered 503 TOO_MANY_SIMULTANEOUS_QUERIES (default 10s).
	QueueTimeout time.Duration
	// StallTimeout cuts off a client that sends no body or reads no
	// output for this long (default 30s).
	StallTimeout time.Duration
	// Limits bound each request of the endpoint's users (zero fields:
	// DefaultLimits); the process's own account is not bound by them.
	Limits Limits
	// MaxDecodeMemory is the server-wide budget for native compressed
	// blocks being decoded (default DefaultMaxDecodeMemory): requests
	// wait for one another's blocks rather than exceed it.
	MaxDecodeMemory int64
	// MaxOpenRequests bounds the endpoint users' requests open at once,
	// queued ones included (default 64), and MaxOpenRequestsPerUser one
	// user's (default 16). More are answered 503 at once, before their
	// body is read.
	MaxOpenRequests, MaxOpenRequestsPerUser int
	// MaxConnections bounds the connections open at once, idle ones
	// included (default DefaultMaxConnections): more wait in the
	// kernel's backlog until one closes, so idle or slow clients cost at
	// most this many goroutines and buffers. Request headers are bounded
	// by MaxHeaderBytes.
	MaxConnections int
	Logger         *slog.Logger
	// Page, if set, answers a browser's plain GET / (Accept text/html, no
	// query) with a page for people (package page); ClickHouse clients'
	// GET / and every query are unaffected.
	Page http.Handler
}

// DefaultMaxConnections bounds the endpoint's open connections unless
// configured: far above what BI tools and a second ethidx open, far below
// what exhausts memory (each costs a few KiB).
const DefaultMaxConnections = 1024

// MaxHeaderBytes bounds a request's header block (net/http's default is
// 1 MiB): ClickHouse clients send a few hundred bytes.
const MaxHeaderBytes = 64 << 10

// DefaultMaxExecutionTime bounds endpoint statements unless configured.
const DefaultMaxExecutionTime = 5 * time.Minute

// Server is the HTTP endpoint over one engine.
type Server struct {
	engine Backend
	cfg    Config
	log    *slog.Logger

	infoMu     sync.Mutex
	serverInfo *serverInfo

	// perUser holds one token per running statement of each user.
	perUser map[string]chan struct{}
	// open and openPerUser count the users' requests being served.
	open        chan struct{}
	openPerUser map[string]chan struct{}
	decode      *semaphore.Weighted
	mem         *memBudget // nil: no memory shares
	auth        *authLimiter
}

// New returns a Server for engine. Call Serve to run it (package store
// listens, advertises the address in the data directory and serves).
func New(engine Backend, cfg Config) *Server {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	switch {
	case cfg.MaxExecutionTime == 0:
		cfg.MaxExecutionTime = DefaultMaxExecutionTime
	case cfg.MaxExecutionTime < 0:
		cfg.MaxExecutionTime = 0
	}
	if cfg.MaxConcurrentPerUser <= 0 {
		cfg.MaxConcurrentPerUser = 2
	}
	if cfg.QueueTimeout <= 0 {
		cfg.QueueTimeout = 10 * time.Second
	}
	if cfg.StallTimeout <= 0 {
		cfg.StallTimeout = defaultStallTimeout
	}
	cfg.Limits.setDefaults()
	if cfg.MaxDecodeMemory <= 0 {
		cfg.MaxDecodeMemory = DefaultMaxDecodeMemory
	}
	cfg.MaxDecodeMemory = max(cfg.MaxDecodeMemory, 2*cfg.Limits.MaxBlockSize+2*checksumSize)
	if cfg.MaxOpenRequests <= 0 {
		cfg.MaxOpenRequests = 64
	}
	if cfg.MaxConnections <= 0 {
		cfg.MaxConnections = DefaultMaxConnections
	}
	if cfg.MaxOpenRequestsPerUser <= 0 {
		cfg.MaxOpenRequestsPerUser = 16
	}
	s := &Server{engine: engine, cfg: cfg, log: cfg.Logger, perUser: map[string]chan struct{}{},
		open: make(chan struct{}, cfg.MaxOpenRequests), openPerUser: map[string]chan struct{}{},
		decode: semaphore.NewWeighted(cfg.MaxDecodeMemory), auth: newAuthLimiter()}
	// What the engine enforces caps what the endpoint clamps to: a
	// higher value would only turn into the engine's refusal.
	if b := engine.Bounds(); b.MaxMemoryUsage > 0 {
		s.cfg.MaxMemoryUsage = min(nonZero(s.cfg.MaxMemoryUsage, b.MaxMemoryUsage), b.MaxMemoryUsage)
		s.cfg.Memory.PerQuery = min(nonZero(s.cfg.Memory.PerQuery, b.MaxMemoryUsage), b.MaxMemoryUsage)
	}
	if b := engine.Bounds(); b.MaxExecutionTime > 0 {
		s.cfg.MaxExecutionTime = min(nonZero(s.cfg.MaxExecutionTime, b.MaxExecutionTime), b.MaxExecutionTime)
	}
	cfg = s.cfg
	if m := cfg.Memory; m.PerQuery > 0 && m.PerUser > 0 && m.Server > m.Reserved {
		if cfg.MaxMemoryUsage == 0 || cfg.MaxMemoryUsage > m.PerQuery {
			s.cfg.MaxMemoryUsage = m.PerQuery
		}
		s.mem = newMemBudget(m, s.users())
	}
	for _, u := range s.users() {
		s.openPerUser[u.Name] = make(chan struct{}, cfg.MaxOpenRequestsPerUser)
		n := cfg.MaxConcurrentPerUser
		if !u.ReadOnly {
			n *= 2 // writers (a second ethidx loading through this endpoint) run batches in parallel
		}
		s.perUser[u.Name] = make(chan struct{}, n)
	}
	return s
}

func (s *Server) users() []User {
	if len(s.cfg.Users) == 0 {
		return []User{{Name: "default"}}
	}
	return s.cfg.Users
}

// nonZero is v, or def when v is zero.
func nonZero[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// queue waits for one of the user's statement tokens; the returned func
// gives it back. The process's own account is not limited.
func (s *Server) queue(ctx context.Context, u User) (func(), error) {
	if u.Internal || u.peer {
		return func() {}, nil
	}
	slots := s.perUser[u.Name]
	t := time.NewTimer(s.cfg.QueueTimeout)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
		return func() { <-slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, chdb.NewError(chdb.CodeTooManySimultaneousQueries, "TOO_MANY_SIMULTANEOUS_QUERIES",
			"Too many simultaneous queries for user %s: %d running, none finished within %v; try again later",
			u.Name, cap(slots), s.cfg.QueueTimeout)
	}
}

// admit counts one more open request of u, or refuses it when the user or
// the endpoint has too many open already; the returned func ends it.
func (s *Server) admit(u User) (func(), error) {
	mine := s.openPerUser[u.Name]
	select {
	case mine <- struct{}{}:
	default:
		return nil, chdb.NewError(chdb.CodeTooManySimultaneousQueries, "TOO_MANY_SIMULTANEOUS_QUERIES",
			"Too many simultaneous requests for user %s: %d open; try again later", u.Name, cap(mine))
	}
	select {
	case s.open <- struct{}{}:
	default:
		<-mine
		return nil, chdb.NewError(chdb.CodeTooManySimultaneousQueries, "TOO_MANY_SIMULTANEOUS_QUERIES",
			"Too many simultaneous requests: %d open; try again later", cap(s.open))
	}
	return func() { <-s.open; <-mine }, nil
}

// Serve answers requests on ln until ctx ends, then shuts down: it stops
// accepting, gives running statements a few seconds, then cancels them.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		MaxHeaderBytes:    MaxHeaderBytes,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		if err := srv.Shutdown(sctx); err != nil {
			cancel()
			srv.Close()
		}
	}()
	s.log.Debug("SQL endpoint listening", "addr", ln.Addr().String(), "data_dir", s.engine.DataDir())
	err := srv.Serve(netutil.LimitListener(ln, s.cfg.MaxConnections))
	if errors.Is(err, http.ErrServerClosed) {
		<-done
		return nil
	}
	return err
}

// ServeHTTP routes a request. A panic while serving one request is logged
// and answered with an error; it never takes the server down.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "panic", v, "stack", string(debug.Stack()))
			writeError(w, chdb.NewError(chdb.CodeUnknownException, "UNKNOWN_EXCEPTION", "internal error: %v", v), nil)
		}
	}()
	switch r.URL.Path {
	case "/ping", "/replicas_status":
		w.Header().Set("X-Ethidx-Data-Dir", s.engine.DataDir())
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		fmt.Fprint(w, "Ok.\n")
	case "/":
		if s.cfg.Page != nil && r.Method == http.MethodGet && r.URL.RawQuery == "" &&
			strings.Contains(r.Header.Get("Accept"), "text/html") {
			s.cfg.Page.ServeHTTP(w, r)
			return
		}
		if r.Method == http.MethodGet && !r.URL.Query().Has("query") {
			fmt.Fprint(w, "Ok.\n")
			return
		}
		s.serveQuery(w, r)
	default:
		http.Error(w, fmt.Sprintf("There is no handle %s\n\nUse / or /ping\n", r.URL.Path), http.StatusNotFound)
	}
}

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodGet && r.Method != http.MethodPost && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, POST, HEAD")
		writeError(w, chdb.NewError(1, "UNSUPPORTED_METHOD", "HTTP method %s is not supported", r.Method), nil)
		return
	}
	// Authenticate before reading the body: a stranger gets nothing read,
	// and an address that keeps failing is refused before its credentials
	// are even checked (see authLimiter).
	name, password := credentials(r)
	client := authKey(clientKey(r.RemoteAddr), name, s.userExists(name))
	if s.isInternal(name) {
		// Its password is random (192 bits): guessing it is hopeless, and
		// slowing down its address would let any local account lock a
		// second ethidx, or a fronting serve, out of the owner.
		client = ""
	}
	if wait := s.auth.wait(client); wait > 0 {
		writeSlowDown(w, wait)
		return
	}
	user, err := s.authenticate(name, password)
	if err != nil {
		s.auth.failed(client)
		writeError(w, err, nil)
		return
	}
	if user.Internal && r.Header.Get(PeerHeader) != "" {
		user = User{Name: user.Name, peer: true}
	}
	lim := internalLimits
	var budget *semaphore.Weighted
	if !user.Internal && !user.peer {
		// Count the request before reading anything of it: open requests
		// bound what the endpoint holds for its users, queued ones too.
		done, err := s.admit(user)
		if err != nil {
			writeError(w, err, nil)
			return
		}
		defer done()
		lim, budget = s.cfg.Limits, s.decode
	}
	// A body that stops short of its Content-Length must not hold the
	// handler for ever: reading the statement has a deadline (an insert's
	// data renews it per read, see stallReader).
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.cfg.StallTimeout))
	req, err := parseRequest(r, lim, budget)
	if err != nil {
		writeError(w, err, nil)
		return
	}
	defer req.Close()
	queryID := req.QueryID
	if queryID == "" {
		queryID = randomHex(16)
	}
	rw := newResultWriter(w, req)
	rw.stall = s.cfg.StallTimeout
	// Stall deadlines are per request; a keep-alive connection's next
	// request must not inherit one.
	rc := http.NewResponseController(w)
	defer rc.SetWriteDeadline(time.Time{})
	defer rc.SetReadDeadline(time.Time{})
	rw.headers.Set("X-ClickHouse-Query-Id", queryID)
	if info, err := s.info(r.Context()); err == nil {
		// Clients such as the JDBC driver take the server time zone from here.
		rw.headers.Set("X-ClickHouse-Server-Display-Name", info.displayName)
		rw.headers.Set("X-ClickHouse-Timezone", info.timezone)
	}
	settings, err := s.settings(req, user)
	if err != nil {
		rw.finish(chdb.Stats{}, err)
		return
	}
	if len(req.Ignored) > 0 {
		s.log.Debug("ignoring URL parameters", "params", req.Ignored)
	}
	ctx := r.Context()
	done, err := s.queue(ctx, user)
	if err != nil {
		rw.finish(chdb.Stats{}, err)
		return
	}
	defer done()
	if s.mem != nil && !user.Internal && !user.peer {
		limit, _ := strconv.ParseFloat(settings["max_memory_usage"], 64) // set by s.settings
		rctx, cancel := context.WithTimeout(ctx, s.cfg.QueueTimeout)
		free, err := s.mem.reserve(rctx, user.Name, uint64(limit))
		cancel()
		if err != nil {
			rw.finish(chdb.Stats{}, err)
			return
		}
		defer free()
	}
	if s.cfg.MaxExecutionTime > 0 && !user.Internal {
		// The engine enforces the limit; the deadline is a backstop for a
		// statement stuck outside its reach.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.MaxExecutionTime+5*time.Second)
		defer cancel()
		rw.until, _ = ctx.Deadline()
	}

	if user.ReadOnly {
		req.ReadOnly = 1 // no settings either
	}
	st := chdb.Statement{
		SQL:      req.Query,
		Format:   req.Format,
		Params:   req.Params,
		Database: req.Database,
		ReadOnly: req.ReadOnly,
		Settings: settings,
		// Every endpoint user, admins too, stays inside the database.
		Untrusted: !user.Internal,
		// Endpoint users, admins and the password-less default included,
		// never take the connections kept for the process's own writes
		// (Untrusted); read-only ones, and those a fronting serve forwards,
		// leave one more to admins.
		Reader: (user.ReadOnly || user.peer) && !user.Internal,
	}
	var stats chdb.Stats
	switch {
	case req.Format == "Native" && isHello(req.Query):
		var info serverInfo
		if info, err = s.info(ctx); err == nil {
			_, err = rw.Write(encodeHello(info, req.ProtocolVersion))
		}
	case req.Insert:
		stats, err = s.engine.RunInsert(ctx, st, stallReader{req.Data, rc, s.cfg.StallTimeout})
	default:
		if req.DefaultFormat != "" {
			st.Format = req.DefaultFormat
		} else {
			st.Format = "TabSeparated"
		}
		stats, err = s.engine.Run(ctx, st, rw)
	}
	rw.finish(stats, err)
	s.logRequest(req, queryID, stats, err, time.Since(start))
}

func (s *Server) logRequest(req *Request, queryID string, stats chdb.Stats, err error, d time.Duration) {
	attrs := []any{"user", req.User, "query_id", queryID, "insert", req.Insert,
		"rows_read", stats.RowsRead, "rows_written", stats.RowsWritten, "duration_ms", d.Milliseconds()}
	if err != nil {
		s.log.Debug("query failed", append(attrs, "err", errorText(err))...)
		return
	}
	s.log.Debug("query", attrs...)
}

func (s *Server) isInternal(name string) bool {
	for _, u := range s.users() {
		if u.Name == name {
			return u.Internal
		}
	}
	return false
}

func (s *Server) userExists(name string) bool {
	_, ok := s.perUser[name]
	return ok
}

// authenticate checks the request's credentials against the users.
func (s *Server) authenticate(name, password string) (User, error) {
	for _, u := range s.users() {
		if u.Name == name && subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) == 1 {
			return u, nil
		}
	}
	return User{}, chdb.NewError(chdb.CodeAuthenticationError, "AUTHENTICATION_FAILED",
		"%s: Authentication failed: password is incorrect, or there is no user with such name", name)
}

// readOnlySettings are the settings a read-only user may still send: the
// limits a client puts on its own queries and how results are formatted.
// clickhouse-go (so Grafana's plugin) sends max_execution_time with every
// request that has a deadline, and JavaScript clients quote 64-bit integers
// to keep wei exact. None of them can write or widen access; the limits
// stay clamped to the endpoint's below.
var readOnlySettings = map[string]bool{
	"max_execution_time": true, "max_memory_usage": true, "max_result_rows": true,
	"max_result_bytes": true, "result_overflow_mode": true, "timeout_overflow_mode": true,
	"output_format_json_quote_64bit_integers": true, "output_format_json_quote_denormals": true,
	"output_format_json_quote_decimals": true, "date_time_output_format": true,
	"format_csv_null_representation": true, // ethidx export's CSV: NULL as an empty field
}

// settings merges the request's settings with the endpoint's limits. A
// read-only user may send only readOnlySettings; everyone may lower a limit,
// not raise it.
func (s *Server) settings(req *Request, user User) (map[string]string, error) {
	if user.ReadOnly {
		for k := range req.Settings {
			if !readOnlySettings[k] {
				return nil, chdb.NewError(chdb.CodeReadonly, "READONLY", "Cannot modify '%s' setting in readonly mode", k)
			}
		}
	}
	out := make(map[string]string, len(req.Settings)+2)
	for k, v := range req.Settings {
		out[k] = v
	}
	if user.Internal {
		return out, nil // the process's own statements (a rebuild of all history) are not bounded
	}
	if limit := s.cfg.MaxExecutionTime; limit > 0 {
		clamp(out, "max_execution_time", limit.Seconds())
	}
	if limit := s.cfg.MaxMemoryUsage; limit > 0 {
		clamp(out, "max_memory_usage", float64(limit))
	}
	// More threads than the engine allows would be refused; fewer, 0
	// (automatic) or a malformed value (refused by the engine) stay.
	if n, err := strconv.ParseFloat(out["max_threads"], 64); err == nil && n > float64(chdb.MaxThreads()) {
		out["max_threads"] = strconv.Itoa(chdb.MaxThreads())
	}
	return out, nil
}

// clamp sets out[name] to limit unless it already holds a lower positive
// number. (An unparsable value is replaced too: the limit must hold.)
func clamp(out map[string]string, name string, limit float64) {
	if v, err := strconv.ParseFloat(out[name], 64); err == nil && v > 0 && v <= limit {
		return
	}
	out[name] = strconv.FormatFloat(limit, 'f', -1, 64)
}
