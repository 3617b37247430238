// Package store opens ethidx's storage, the one way every program does: a
// ClickHouse server, or the embedded engine served on its HTTP endpoint
// (or, when another ethidx process owns the data directory, that one's
// endpoint), with the database created, the schema migrated and whatever
// the caller installs on top (the CLI: the saved queries' views). The CLI,
// both bench programs and the test kits open storage through it, so they
// all take the path users take. The commands then call Store's own
// methods: the damage check and its repair (damage.go), verify's audit of
// what is stored (audit.go), both over package inspect, and the day
// cache's refresh (cache.go).
package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/cluster"
	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/schema"
	"github.com/ethidx/ethidx/sqltext"
	"github.com/ethidx/ethidx/store/inspect"
)

// Options says what to open. The zero value (plus a DataDir) opens the
// embedded engine there, serves it on a free loopback port, and migrates
// database eth.
type Options struct {
	// Server is a ClickHouse server to connect to; nil means the embedded
	// engine.
	Server *clickhouse.Options
	// DataDir is the embedded engine's data directory.
	DataDir string
	// Engine, if set, is an engine already open (test kits share one per
	// process); it is served but not closed by Close.
	Engine *chdb.Engine
	// EngineLogLevel is the engine's own log level (chdb.Options).
	EngineLogLevel string
	// Bounds are the limits the engine enforces (chdb.Options); they
	// should match Endpoint's.
	Bounds chdb.Bounds
	// Confine, if set, restricts the process once the engine library is
	// loaded and before the engine starts (chdb.Options.Confine). Not
	// called when another process owns the data directory or a server
	// holds the data: this process then opens no engine.
	Confine func(dataDir, libraryPath string) error
	// Listen is where the embedded endpoint listens; default 127.0.0.1:0.
	Listen string
	// Public offers the endpoint to others (ethidx serve): with no
	// Endpoint.Users it admits the password-less "default" user, and when
	// another ethidx owns the data directory it is still served, fronting
	// that one's engine (sqlhttp.Remote). Otherwise the endpoint is
	// private: it admits only Endpoint.Users and this process's own
	// account, whose random password the endpoint file in the data
	// directory gives to a second ethidx of the same OS user.
	Public bool
	// Endpoint configures the embedded endpoint: its users and limits.
	// Addr and Logger are set here.
	Endpoint sqlhttp.Config
	// Database is the database to use; default eth. A server DSN naming
	// one takes precedence.
	Database string
	// ReadOnly skips creating the database, migrating and installing:
	// for users who may only read.
	ReadOnly bool
	// MustExist refuses a database that does not exist (a *NoDatabaseError)
	// rather than creating it: for commands that only read, where a new
	// name is a typo. The default database of a store with no ethidx
	// database yet is still created (a fresh data dir reads as empty).
	MustExist bool
	// Install, if set, runs after migrating: the CLI installs the saved
	// queries' views with it (queries.Install). A hook, so that this
	// package, and the test kits over it, need not import the read side.
	Install func(ctx context.Context, conn driver.Conn) error
	// Cluster names the ClickHouse cluster the server belongs to: every
	// statement is then sent in its cluster form (package cluster), with
	// the settings that form needs. It needs a Server.
	Cluster string
	// Wrap, if set, wraps the connection before anything is sent on it
	// (tests record what each command sends).
	Wrap func(driver.Conn) driver.Conn
	// ReadTimeout bounds one statement on the client side (default
	// clickhouse-go's); long generation jobs raise it.
	ReadTimeout time.Duration
	// KeepInventory keeps the parts inventory in the data directory when
	// this process owns the engine there: recorded on Close, compared on
	// the next open's CheckDamage (see lostParts). For the CLI, whose data
	// directory outlives it; test kits sharing one engine leave it off.
	KeepInventory bool
	Logger        *slog.Logger
}

// Store is open storage. Conn is a clickhouse-go connection to Database.
type Store struct {
	Conn     driver.Conn
	Database string
	// Addr is the endpoint this process serves, if it serves one.
	Addr string
	// Shared is the endpoint of the ethidx process that owns the data
	// directory, when this process uses that one instead.
	Shared string
	// Fronted says Addr serves the engine of the ethidx at Shared (a
	// Public endpoint beside the data directory's owner).
	Fronted bool
	// Engine is the embedded engine this process opened or was given.
	Engine *chdb.Engine
	// Raw runs a statement and copies the server's bytes (its own FORMAT);
	// nil over the native protocol.
	Raw RawQuerier
	// Migrated is how many migrations this Open applied (0: the schema
	// was up to date).
	Migrated int
	// Damage is the lost data CheckDamage found, until AfterRepair
	// checks again.
	Damage inspect.Damage

	form *cluster.Form   // the cluster form statements are sent in, if any
	own  *sqlhttp.Server // the endpoint this process serves, if it serves one

	closers []func() error
	logger  *slog.Logger
	// dataDir is set when this process owns the embedded engine's data
	// directory and keeps the parts inventory there (see lostParts).
	dataDir       string
	partsCompared bool
}

// Close releases everything Open took, in reverse order.
func (s *Store) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// AddrInUseError says the endpoint address is taken by a program other
// than an ethidx serving the same data directory.
type AddrInUseError struct{ Addr, DataDir string }

func (e *AddrInUseError) Error() string {
	return fmt.Sprintf("%s is in use by another program (not an ethidx serving %s)", e.Addr, e.DataDir)
}

// Open opens storage as o says.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Database == "" {
		o.Database = "eth"
	}
	s := &Store{Database: o.Database, logger: o.Logger}
	var client *clickhouse.Options
	if o.Cluster != "" {
		if o.Server == nil {
			return nil, errors.New("a cluster is reached through one of its servers: give the server's DSN with the cluster name")
		}
		f, err := cluster.New(o.Cluster)
		if err != nil {
			return nil, err
		}
		s.form = f
	}
	if o.Server != nil {
		c := *o.Server
		client = &c
		if s.form != nil {
			client.Settings = clickhouse.Settings{}
			for k, v := range o.Server.Settings {
				client.Settings[k] = v
			}
			for k, v := range s.form.Settings() {
				client.Settings[k] = v
			}
		}
		if client.Auth.Database != "" {
			s.Database = client.Auth.Database
		}
	} else {
		var err error
		if client, err = s.openEmbedded(o); err != nil {
			s.Close()
			return nil, err
		}
	}
	if o.ReadTimeout > 0 {
		client.ReadTimeout = o.ReadTimeout
	}
	if err := s.connect(ctx, client, o); err != nil {
		s.Close()
		return nil, err
	}
	if o.KeepInventory && o.Server == nil && s.Shared == "" {
		s.dataDir = o.DataDir
		if s.dataDir == "" && s.Engine != nil {
			s.dataDir = s.Engine.DataDir()
		}
		// Runs before the engine closes (closers run last to first).
		s.closers = append(s.closers, func() error {
			if err := s.recordParts(); err != nil {
				s.logger.Warn("recording the parts inventory; a part lost before the next start may go unnoticed", "err", err)
			}
			return nil
		})
	}
	return s, nil
}

// openEmbedded opens (or takes) the engine and serves it, or finds the
// ethidx that already serves the data directory (and, if Public, fronts
// it). It returns how to reach the endpoint.
func (s *Store) openEmbedded(o Options) (*clickhouse.Options, error) {
	eng := o.Engine
	dataDir := o.DataDir
	if eng == nil {
		var err error
		eng, err = chdb.Open(dataDir, chdb.Options{Logger: o.Logger, EngineLogLevel: o.EngineLogLevel, Bounds: o.Bounds, Confine: o.Confine})
		var locked *chdb.LockedError
		if errors.As(err, &locked) {
			return s.useOwner(o, locked.Endpoint)
		}
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, eng.Close)
	} else {
		dataDir = eng.DataDir()
	}
	s.Engine = eng
	// This process talks to its own endpoint as a private user, the only
	// one trusted past the host guard and free of the endpoint users'
	// limits. Configured users come besides; a public endpoint with none
	// admits the password-less default.
	cfg := o.Endpoint
	users := cfg.Users
	if len(users) == 0 && o.Public {
		users = []sqlhttp.User{{Name: "default"}}
	}
	internal := sqlhttp.User{Name: "ethidx_internal", Password: randomPassword(), Internal: true}
	cfg.Users = append(append([]sqlhttp.User(nil), users...), internal)
	srv, err := s.serve(o, eng, cfg, dataDir)
	if err != nil {
		return nil, err
	}
	client := httpOptions(s.Addr)
	client.Auth.Username, client.Auth.Password = internal.Name, internal.Password
	// This process's own statements reach the endpoint's handler directly;
	// everyone else (BI tools, another ethidx) comes through the socket.
	// clickhouse-go bounds a statement's wait for its answer with its
	// transport's ResponseHeaderTimeout (Options.ReadTimeout); so does this.
	client.TransportFunc = func(t *http.Transport) (http.RoundTripper, error) {
		return srv.Transport(t.ResponseHeaderTimeout), nil
	}
	s.own = srv
	ep := chdb.Endpoint{Addr: s.Addr, User: internal.Name, Password: internal.Password, PID: os.Getpid()}
	if err := chdb.WriteEndpoint(dataDir, ep); err != nil {
		o.Logger.Warn("could not advertise endpoint", "err", err)
	}
	// Closed in reverse: unadvertise before the endpoint stops.
	s.closers = append(s.closers, func() error { chdb.RemoveEndpoint(dataDir); return nil })
	o.Logger.Debug("embedded engine ready", "data_dir", dataDir, "sql_endpoint", s.Addr)
	return client, nil
}

// useOwner connects to the endpoint of the ethidx that owns the data
// directory, with the account its endpoint file gives; a Public endpoint
// fronts it.
func (s *Store) useOwner(o Options, owner chdb.Endpoint) (*clickhouse.Options, error) {
	if owner.Addr == "" {
		return nil, fmt.Errorf("data dir %s is in use by another process that serves no SQL endpoint (or whose endpoint file this user cannot read); stop it or use another data dir", o.DataDir)
	}
	o.Logger.Info("data dir owned by a running ethidx; using its endpoint", "addr", owner.Addr)
	s.Shared = owner.Addr
	client := httpOptions(owner.Addr)
	if owner.User != "" {
		client.Auth.Username, client.Auth.Password = owner.User, owner.Password
	}
	if o.Public {
		dataDir, err := filepath.Abs(o.DataDir)
		if err != nil {
			return nil, err
		}
		cfg := o.Endpoint
		if len(cfg.Users) == 0 {
			cfg.Users = []sqlhttp.User{{Name: "default"}}
		}
		remote := sqlhttp.NewRemote(owner.Addr, client.Auth.Username, client.Auth.Password, dataDir)
		if _, err := s.serve(o, remote, cfg, dataDir); err != nil {
			return nil, err
		}
		s.Fronted = true
		o.Logger.Debug("fronting the owner's engine", "data_dir", dataDir, "sql_endpoint", s.Addr, "owner", owner.Addr)
	}
	return client, nil
}

// serve listens on o.Listen and serves backend there until Close.
func (s *Store) serve(o Options, backend sqlhttp.Backend, cfg sqlhttp.Config, dataDir string) (*sqlhttp.Server, error) {
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, &AddrInUseError{Addr: listen, DataDir: dataDir}
		}
		return nil, fmt.Errorf("listening on %s: %w", listen, err)
	}
	s.Addr = ln.Addr().String()
	cfg.Addr, cfg.Logger = s.Addr, o.Logger
	srv := sqlhttp.New(backend, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	s.closers = append(s.closers, func() error {
		cancel()
		return <-served
	})
	return srv, nil
}

// connect creates the database, connects to it, migrates and installs.
func (s *Store) connect(ctx context.Context, client *clickhouse.Options, o Options) error {
	if !o.ReadOnly {
		// The database must exist before a connection can default to it.
		boot := *client
		boot.Auth.Database = "default"
		raw, err := clickhouse.Open(&boot)
		if err != nil {
			return fmt.Errorf("connecting to ClickHouse: %w", err)
		}
		conn := s.wrap(raw, o)
		if o.MustExist {
			if err := mustExist(ctx, conn, s.Database, s.Database == "eth"); err != nil {
				conn.Close()
				return err
			}
		}
		err = conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+sqltext.QuoteIdent(s.Database))
		conn.Close()
		if err != nil {
			if s.Shared != "" && strings.Contains(err.Error(), "AUTHENTICATION_FAILED") {
				return fmt.Errorf("the ethidx serving this data dir at %s requires a user: pass --clickhouse http://USER:PASSWORD@%s/%s", s.Shared, s.Shared, s.Database)
			}
			return fmt.Errorf("connecting to ClickHouse at %s: %w", strings.Join(client.Addr, ","), err)
		}
	}
	client.Auth.Database = s.Database
	s.Raw = rawFor(client, s.Database)
	raw, err := clickhouse.Open(client)
	if err != nil {
		return fmt.Errorf("connecting to ClickHouse: %w", err)
	}
	s.closers = append(s.closers, raw.Close)
	if s.own != nil {
		wait := client.ReadTimeout
		if wait == 0 {
			wait = 300 * time.Second // clickhouse-go's default
		}
		raw = &ownConn{Conn: raw, client: &http.Client{Transport: s.own.Transport(wait)},
			database: s.Database, user: client.Auth.Username, password: client.Auth.Password}
	}
	conn := s.wrap(raw, o)
	s.Conn = conn
	if o.ReadOnly {
		return nil
	}
	n, err := schema.Migrate(ctx, conn)
	if err != nil {
		return err
	}
	s.Migrated = n
	if n > 0 {
		o.Logger.Info("schema migrated", "database", s.Database, "applied", n)
	}
	if s.Engine != nil {
		// An engine library without a setting (ETHIDX_LIBCHDB pointing at
		// another build) leaves that one at its default, the others
		// applied: slower loading, the same data.
		if err := schema.TuneEmbedded(ctx, conn); err != nil {
			if !strings.Contains(err.Error(), "UNKNOWN_SETTING") {
				return err
			}
			o.Logger.Warn("the engine lacks a loading setting; that one keeps its default", "err", err)
		}
	}
	if o.Install != nil {
		return o.Install(ctx, conn)
	}
	return nil
}

// wrap puts the connection's statements in their cluster form, if any,
// and applies Options.Wrap.
func (s *Store) wrap(conn driver.Conn, o Options) driver.Conn {
	if s.form != nil {
		conn = cluster.Conn(conn, s.form)
	}
	if o.Wrap != nil {
		conn = o.Wrap(conn)
	}
	return conn
}

// httpOptions are the client options for an engine's loopback endpoint:
// this process's own, or the owner's that another ethidx holds open.
// clickhouse-go waits at most DialTimeout for a pooled connection too, not
// only for a dial: with every connection busy in a long insert or audit, 10
// seconds failed a statement that only had to queue. A dial to a loopback
// port that nothing serves fails at once whatever the timeout; an owner
// that accepts and never answers (stopped with SIGSTOP) is given up on
// after the 2 minutes.
func httpOptions(addr string) *clickhouse.Options {
	return &clickhouse.Options{
		Protocol:    clickhouse.HTTP,
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Username: "default"},
		DialTimeout: 2 * time.Minute,
	}
}

func randomPassword() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// NoDatabaseError is Open's refusal of a database that does not exist,
// under Options.MustExist.
type NoDatabaseError struct {
	Database string
	// Existing are the databases ethidx has created there (those with a
	// schema_migrations table).
	Existing []string
}

func (e *NoDatabaseError) Error() string {
	if len(e.Existing) == 0 {
		return fmt.Sprintf("database %s does not exist, and no ethidx database does yet (the default is eth)", e.Database)
	}
	return fmt.Sprintf("database %s does not exist; ethidx's databases here: %s", e.Database, strings.Join(e.Existing, ", "))
}

// mustExist returns a *NoDatabaseError unless database exists (or, when
// fresh is allowed, no ethidx database exists at all).
func mustExist(ctx context.Context, conn driver.Conn, database string, fresh bool) error {
	var rows []struct {
		Name   string `ch:"name"`
		Ethidx uint8  `ch:"ethidx"`
	}
	// Every database, and whether it holds ethidx's migrations table.
	const q = "SELECT name, name IN (SELECT database FROM system.tables WHERE name = 'schema_migrations') AS ethidx FROM system.databases ORDER BY name"
	if err := conn.Select(ctx, &rows, q); err != nil {
		return fmt.Errorf("listing databases: %w", err)
	}
	e := &NoDatabaseError{Database: database}
	for _, r := range rows {
		if r.Name == database {
			return nil
		}
		if r.Ethidx == 1 {
			e.Existing = append(e.Existing, r.Name)
		}
	}
	if fresh && len(e.Existing) == 0 {
		return nil
	}
	return e
}
