package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/internal/confine"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/daycache"
	"github.com/ethidx/ethidx/sqltext"
	storage "github.com/ethidx/ethidx/store"
	"github.com/ethidx/ethidx/store/inspect"
)

// store is an open ClickHouse connection with ethidx's schema applied,
// plus whatever it took to get one (the embedded engine and its endpoint).
type store struct {
	migrated int // migrations applied on opening
	conn     driver.Conn
	database string
	addr     string             // the embedded endpoint, when this process serves one
	shared   string             // the endpoint of the ethidx that owns the data dir, when another does
	fronted  bool               // addr serves the engine of the ethidx at shared (serve beside it)
	raw      storage.RawQuerier // nil over the native protocol
	close    []func() error
	// damage is the lost data found on opening (see checkDamage).
	damage inspect.Damage
	// dataDir is set when this process owns the embedded engine's data
	// dir: it keeps the parts inventory there (see lostParts).
	dataDir       string
	partsCompared bool
}

func (s *store) Close() error {
	var errs []error
	for i := len(s.close) - 1; i >= 0; i-- {
		errs = append(errs, s.close[i]())
	}
	return errors.Join(errs...)
}

// confineEngine is false only in tests that run commands inside the test
// process, which must stay free to read its fixtures and run binaries (the
// tests of the confinement run ethidx, or the engine, in a child process).
var confineEngine = true

// confinement is what a command that opens the engine keeps of the
// filesystem (package confine): its data directory, the engine library,
// the TLS roots named by SSL_CERT_FILE/SSL_CERT_DIR, and the files it was
// asked to write (report --chart, export --output's directory).
func confinement(c *cli.Context, dataDir, lib string) confine.Rules {
	r := confine.Rules{ReadWrite: []string{dataDir}, ReadOnly: []string{lib}}
	for _, env := range []string{"SSL_CERT_FILE", "SSL_CERT_DIR"} {
		if v := os.Getenv(env); v != "" {
			r.ReadOnly = append(r.ReadOnly, filepath.SplitList(v)...)
		}
	}
	for _, name := range []string{"chart"} {
		if f := c.String(name); f != "" {
			r.WriteFiles = append(r.WriteFiles, f)
		}
	}
	// export creates its files in --output (as NAME.tmp, then renamed):
	// the directory, which it creates before the engine starts, is its.
	if d := c.String("output"); d != "" {
		r.ReadWrite = append(r.ReadWrite, d)
	}
	return r
}

// wrapConn, if set, wraps every store connection (tests record the
// statements each command sends).
var wrapConn func(driver.Conn) driver.Conn

// openStore connects to --clickhouse, or else to the embedded engine: this
// process opens the data dir and serves its endpoint, or, if another ethidx
// already owns the data dir, connects to that one's endpoint (package
// store does the work). serve's endpoint is public, on --http-addr
// (default 127.0.0.1:8123); every other command's is private, on
// --http-addr if given, else a free loopback port. It applies pending migrations
// and installs the views unless readOnly, then checks the store for lost
// data (see checkDamage).
func openStore(c *cli.Context, readOnly bool, ep endpointConfig) (*store, error) {
	ctx := c.Context
	database := c.String("database")
	if !sqltext.ValidIdent(database) {
		return nil, badInput("--database %q: want a letter or underscore, then letters, digits and underscores", database)
	}
	listen := c.String("http-addr")
	if listen == "" {
		listen = "127.0.0.1:0"
		if ep.public {
			listen = sqlhttp.DefaultAddr
		}
	}
	o := storage.Options{
		DataDir:  c.String("data-dir"),
		Listen:   listen,
		Public:   ep.public,
		Database: database,
		ReadOnly: readOnly,
		// A command that only reads never creates a database (a typo).
		MustExist: ep.mustExist,
		// The saved queries' views follow this binary's definitions.
		Install: func(ctx context.Context, conn driver.Conn) error { return queries.Install(ctx, conn) },
		Logger:  slog.Default(),
		Endpoint: sqlhttp.Config{
			Users: ep.users, MaxExecutionTime: ep.maxExecutionTime, Memory: ep.memoryLimits(),
			MaxConcurrentPerUser: ep.perUser, QueueTimeout: ep.queueTimeout, Page: ep.page,
		},
		Bounds: ep.engineBounds(),
		// The engine logs to <data-dir>/engine.log, never to the
		// terminal; --verbose makes that log detailed.
		EngineLogLevel: "warning",
	}
	if c.Bool("verbose") {
		o.EngineLogLevel = "debug"
	}
	if confineEngine {
		o.Confine = func(dataDir, lib string) error { return confine.Apply(confinement(c, dataDir, lib), slog.Default()) }
	}
	if dsn := c.String("clickhouse"); dsn != "" {
		opts, err := parseDSN(dsn)
		if err != nil {
			return nil, err
		}
		o.Server = opts
	}
	if name := c.String("cluster"); name != "" {
		if o.Server == nil {
			return nil, badInput("--cluster %s: a cluster is reached through one of its servers; give it with --clickhouse (the embedded engine is one node)", name)
		}
		o.Cluster = name
	}
	o.Wrap = wrapConn
	st, err := storage.Open(ctx, o)
	var inUse *storage.AddrInUseError
	if errors.As(err, &inUse) {
		return nil, badInput("--http-addr %s; pick another, e.g. --http-addr 127.0.0.1:0", inUse)
	}
	var noDB *storage.NoDatabaseError
	if errors.As(err, &noDB) {
		return nil, badInput("--database: %v", noDB)
	}
	if err != nil {
		return nil, err
	}
	s := &store{migrated: st.Migrated, conn: st.Conn, database: st.Database, addr: st.Addr, shared: st.Shared, fronted: st.Fronted, raw: st.Raw, close: []func() error{st.Close}}
	if o.Server == nil && st.Shared == "" {
		s.dataDir = o.DataDir
		// Runs before the engine closes (close runs last to first).
		s.close = append(s.close, func() error {
			if err := s.recordParts(); err != nil {
				slog.Warn("recording the parts inventory; a part lost before the next start may go unnoticed", "err", err)
			}
			return nil
		})
	}
	// The ethidx that owns the data dir checked it when it started; from
	// here, its running writes would look like an unfinished load.
	if s.shared != "" {
		return s, nil
	}
	if err := s.checkDamage(ctx, ep.allowDamage, ep.allowUnfinished); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// refresh caches the per-day address figures of days that changed, so the
// saved queries read them instead of computing them; it never changes a
// figure, so a failure only costs speed — unless the store is gone (the
// ethidx whose endpoint this process used has exited): that is returned,
// so the command fails rather than exit 0 with its work unconfirmed.
func (s *store) refresh(ctx context.Context) error { return s.refreshThen(ctx, func() {}) }

// refreshThen is refresh, calling then before it logs (a spinner stops).
func (s *store) refreshThen(ctx context.Context, then func()) error {
	start := time.Now()
	n, err := daycache.Refresh(ctx, s.conn)
	then()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if perr := s.conn.Ping(ctx); perr != nil {
			return fmt.Errorf("lost the connection to the store%s: %w", s.sharedNote(), perr)
		}
		slog.Warn("caching daily figures failed; queries stay exact, only slower", "err", err)
		return nil
	}
	if n > 0 {
		slog.Info("daily figures cached", "days", n, "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
	}
	return nil
}

// ownerGone reports whether this process used another ethidx's endpoint
// and that ethidx no longer answers: nothing this process retries can
// mend that (the owner's next start serves on another port).
func (s *store) ownerGone(ctx context.Context) bool {
	if s.shared == "" || ctx.Err() != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return s.conn.Ping(ctx) != nil
}

// sharedNote names the ethidx endpoint this process used, if another
// process owns the data dir.
func (s *store) sharedNote() string {
	if s.shared == "" {
		return ""
	}
	return " (the endpoint " + s.shared + " of the ethidx that owns the data dir, which has probably exited; rerun this command)"
}

// parseDSN accepts clickhouse-go's DSN forms: clickhouse:// (native TCP),
// http:// and https://.
func parseDSN(dsn string) (*clickhouse.Options, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return nil, badInput("--clickhouse %q: want clickhouse://user:pass@host:9000/db or http://host:8123/db", redact(dsn))
	}
	switch u.Scheme {
	case "clickhouse", "tcp", "http", "https":
	default:
		return nil, badInput("--clickhouse: scheme %q: want clickhouse, http or https", u.Scheme)
	}
	for _, host := range strings.Split(u.Host, ",") {
		if _, port, err := net.SplitHostPort(host); err == nil {
			if err := checkPort(port); err != nil || port == "0" {
				return nil, badInput("--clickhouse %q: host %s: want a port from 1 to 65535", redact(dsn), host)
			}
		}
	}
	opts, err := clickhouse.ParseDSN(dsn)
	if err != nil {
		return nil, badInput("--clickhouse %q: %v", redact(dsn), err)
	}
	opts.DialTimeout = 10 * time.Second
	return opts, nil
}

func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		// Show what was typed (127.0.0.1:8545 without a scheme does
		// not parse), hiding anything before an @ that may be a password.
		if i := strings.LastIndex(dsn, "@"); i >= 0 {
			return "***" + dsn[i:]
		}
		return dsn
	}
	if i := strings.LastIndex(u.Opaque, "@"); i >= 0 {
		return u.Scheme + ":***" + u.Opaque[i:] // user:pw@host without //
	}
	return u.Redacted()
}

// endpointConfig is how this process serves the embedded engine, and
// what it accepts of the store.
type endpointConfig struct {
	users            []sqlhttp.User
	maxExecutionTime time.Duration // 0: sqlhttp's default; negative: none
	perUser          int
	queueTimeout     time.Duration
	memory           sqlhttp.Memory // zero: sqlhttp.DefaultMemory()
	page             http.Handler   // serve's page for browsers at /
	// public offers the endpoint to others (serve): on --http-addr or
	// 127.0.0.1:8123, with the users given, fronting the data dir's owner
	// if another ethidx has it.
	public bool
	// allowDamage opens a store that has lost data (see checkDamage): for
	// the commands that repair it or only inspect it.
	// mustExist: the command only reads; a database that does not
	// exist is a typo (see storage.Options.MustExist).
	mustExist   bool
	allowDamage bool
	// allowUnfinished opens a store whose only damage is rows of
	// unfinished loads (a follower removes those at its tip).
	allowUnfinished bool
}

func (ep endpointConfig) memoryLimits() sqlhttp.Memory {
	if ep.memory.Server == 0 {
		return sqlhttp.DefaultMemory()
	}
	return ep.memory
}

// engineBounds are the endpoint's limits as the engine enforces them.
func (ep endpointConfig) engineBounds() chdb.Bounds {
	m := ep.memoryLimits()
	b := chdb.Bounds{ServerMemory: m.Server, MaxMemoryUsage: m.PerQuery, MaxExecutionTime: ep.maxExecutionTime}
	if b.MaxExecutionTime == 0 {
		b.MaxExecutionTime = sqlhttp.DefaultMaxExecutionTime
	}
	b.MaxExecutionTime = max(b.MaxExecutionTime, 0) // negative: none
	return b
}
