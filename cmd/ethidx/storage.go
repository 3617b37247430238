package main

import (
	"context"
	"errors"
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
	"github.com/ethidx/ethidx/sqltext"
	"github.com/ethidx/ethidx/store"
)

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
// data (see store.Store.CheckDamage).
func openStore(c *cli.Context, readOnly bool, ep endpointConfig) (*store.Store, error) {
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
	o := store.Options{
		DataDir:  c.String("data-dir"),
		Listen:   listen,
		Public:   ep.public,
		Database: database,
		ReadOnly: readOnly,
		// A command that only reads never creates a database (a typo).
		MustExist: ep.mustExist,
		// The owner of the data dir keeps its parts inventory there,
		// which tells a part lost while it was closed (CheckDamage).
		KeepInventory: true,
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
	st, err := store.Open(ctx, o)
	var inUse *store.AddrInUseError
	if errors.As(err, &inUse) {
		return nil, badInput("--http-addr %s; pick another, e.g. --http-addr 127.0.0.1:0", inUse)
	}
	var noDB *store.NoDatabaseError
	if errors.As(err, &noDB) {
		return nil, badInput("--database: %v", noDB)
	}
	if err != nil {
		return nil, err
	}
	// The ethidx that owns the data dir checked it when it started; from
	// here, its running writes would look like an unfinished load.
	if st.Shared != "" {
		return st, nil
	}
	if err := st.CheckDamage(ctx, ep.allowDamage, ep.allowUnfinished); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
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
	// allowDamage opens a store that has lost data (see
	// store.Store.CheckDamage): for the commands that repair it or only
	// inspect it.
	// mustExist: the command only reads; a database that does not
	// exist is a typo (see store.Options.MustExist).
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
