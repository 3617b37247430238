package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/schema"
)

// store is an open ClickHouse connection with ethidx's schema applied,
// plus whatever it took to get one (the embedded engine and its endpoint).
type store struct {
	conn     driver.Conn
	database string
	addr     string // the embedded endpoint, when this process serves one
	shared   string // the endpoint of the ethidx that owns the data dir, when another does
	close    []func() error
	// damage is the lost data found on opening (see checkDamage).
	damage chsink.Damage
}

func (s *store) Close() error {
	var errs []error
	for i := len(s.close) - 1; i >= 0; i-- {
		errs = append(errs, s.close[i]())
	}
	return errors.Join(errs...)
}

// openStore connects to --clickhouse, or else to the embedded engine: this
// process opens the data dir and serves its endpoint on --http-addr, or, if
// another ethidx already owns the data dir, connects to that one's
// endpoint. It applies pending migrations unless readOnly.
func openStore(c *cli.Context, readOnly bool, ep endpointConfig) (*store, error) {
	ctx := c.Context
	database := c.String("database")
	if !validIdent(database) {
		return nil, badInput("--database %q: want letters, digits and underscores", database)
	}
	var (
		s    *store
		opts *clickhouse.Options
		err  error
	)
	if dsn := c.String("clickhouse"); dsn != "" {
		opts, err = parseDSN(dsn)
		if err != nil {
			return nil, err
		}
		if opts.Auth.Database != "" {
			database = opts.Auth.Database
		}
		s = &store{}
	} else {
		s, opts, err = openEmbedded(c, ep)
		if err != nil {
			return nil, err
		}
	}
	s.database = database
	if err := s.connect(ctx, opts, readOnly); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.checkDamage(ctx, ep.allowDamage); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *store) connect(ctx context.Context, opts *clickhouse.Options, readOnly bool) error {
	if !readOnly {
		// The database must exist before a connection can default to it.
		opts.Auth.Database = "default"
		boot, err := clickhouse.Open(opts)
		if err != nil {
			return fmt.Errorf("connecting to ClickHouse: %w", err)
		}
		err = boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.database)
		boot.Close()
		if err != nil {
			if s.shared != "" && strings.Contains(err.Error(), "AUTHENTICATION_FAILED") {
				return fmt.Errorf("the ethidx serving this data dir at %s requires a user: pass --clickhouse http://USER:PASSWORD@%s/%s", s.shared, s.shared, s.database)
			}
			return fmt.Errorf("connecting to ClickHouse at %s: %w", strings.Join(opts.Addr, ","), err)
		}
	}
	opts.Auth.Database = s.database
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return fmt.Errorf("connecting to ClickHouse: %w", err)
	}
	s.conn = conn
	s.close = append(s.close, conn.Close)
	if readOnly {
		return nil
	}
	n, err := schema.Migrate(ctx, conn)
	if err != nil {
		return err
	}
	if n > 0 {
		slog.Info("schema migrated", "database", s.database, "applied", n)
	}
	// The saved queries' views follow this binary's definitions.
	return queries.Install(ctx, conn)
}

// refresh caches the per-day address figures of days that changed, so the
// saved queries read them instead of computing them; it never changes a
// figure, so a failure only costs speed.
func (s *store) refresh(ctx context.Context) {
	start := time.Now()
	n, err := queries.Refresh(ctx, s.conn)
	if err != nil {
		if ctx.Err() == nil {
			slog.Warn("caching daily figures failed; queries stay exact, only slower", "err", err)
		}
		return
	}
	if n > 0 {
		slog.Info("daily figures cached", "days", n, "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
	}
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
		return "<unparsable DSN>"
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
	maxMemoryUsage   uint64
	// allowDamage opens a store that has lost data (see checkDamage): for
	// the commands that repair it or only inspect it.
	allowDamage bool
}

// openEmbedded opens the data dir and serves it, or finds the ethidx that
// already does.
func openEmbedded(c *cli.Context, ep endpointConfig) (*store, *clickhouse.Options, error) {
	dataDir := c.String("data-dir")
	// The engine logs to <data-dir>/engine.log, never to the terminal;
	// --verbose makes that log detailed.
	engineLog := "warning"
	if c.Bool("verbose") {
		engineLog = "debug"
	}
	eng, err := chdb.Open(dataDir, chdb.Options{Logger: slog.Default(), EngineLogLevel: engineLog})
	var locked *chdb.LockedError
	if errors.As(err, &locked) {
		if locked.Addr == "" {
			return nil, nil, fmt.Errorf("data dir %s is in use by another process that serves no SQL endpoint; stop it or use another --data-dir", dataDir)
		}
		slog.Info("data dir owned by a running ethidx; using its endpoint", "addr", locked.Addr)
		return &store{shared: locked.Addr}, httpOptions(locked.Addr), nil
	}
	if err != nil {
		return nil, nil, err
	}
	s := &store{close: []func() error{eng.Close}}
	addr := c.String("http-addr")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.Close()
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, badInput("--http-addr %s is in use by another program (not an ethidx serving %s); pick another, e.g. --http-addr 127.0.0.1:0", addr, dataDir)
		}
		return nil, nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	s.addr = ln.Addr().String()
	client := httpOptions(s.addr)
	// This process talks to its own endpoint as a private user, the only
	// one trusted past the host guard. Configured users replace the
	// password-less default.
	users := ep.users
	if len(users) == 0 {
		users = []sqlhttp.User{{Name: "default"}}
	}
	internal := sqlhttp.User{Name: "ethidx_internal", Password: randomPassword(), Internal: true}
	users = append(append([]sqlhttp.User(nil), users...), internal)
	client.Auth.Username, client.Auth.Password = internal.Name, internal.Password
	srv := sqlhttp.New(eng, sqlhttp.Config{
		Addr: s.addr, Users: users, Logger: slog.Default(),
		MaxExecutionTime: ep.maxExecutionTime, MaxMemoryUsage: ep.maxMemoryUsage,
		MaxConcurrentPerUser: ep.perUser, QueueTimeout: ep.queueTimeout,
	})
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	if err := chdb.WriteEndpoint(dataDir, s.addr); err != nil {
		slog.Warn("could not advertise endpoint", "err", err)
	}
	// Closed in reverse: stop serving (and unadvertise) before the engine.
	s.close = append(s.close, func() error {
		chdb.RemoveEndpoint(dataDir)
		cancel()
		return <-served
	})
	slog.Debug("embedded engine ready", "data_dir", dataDir, "sql_endpoint", s.addr)
	return s, client, nil
}

func randomPassword() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

func httpOptions(addr string) *clickhouse.Options {
	return &clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Username: "default"},
		DialTimeout: 10 * time.Second,
	}
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
