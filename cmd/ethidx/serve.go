package main

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/queries/page"
)

// Environment variables holding endpoint users, so that no password need
// appear in the process's argument list (which every local user can read).
const (
	envUsers         = "ETHIDX_USERS"          // entries in the --user-file format, one per line or comma-separated
	envReadonlyUsers = "ETHIDX_READONLY_USERS" // name:password entries, read-only, comma-separated
	envUserFile      = "ETHIDX_USER_FILE"
)

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the embedded engine's ClickHouse-compatible SQL endpoint (for BI tools)",
		UsageText: "ethidx serve\n" +
			"ethidx serve --http-addr 0.0.0.0:8123 --user-file /etc/ethidx/users\n" +
			"ETHIDX_USERS='admin:s3cret,readonly grafana:pw' ethidx serve --http-addr 0.0.0.0:8123",
		Description: "Speaks ClickHouse's HTTP interface: clickhouse-go, clickhouse-connect, the JDBC\n" +
			"driver, @clickhouse/client and curl connect to it. Binds loopback unless told\n" +
			"otherwise. With no users, the 'default' user has no password: only do that on\n" +
			"loopback. Read-only users cannot INSERT, run DDL or change settings.\n\n" +
			"Only serve offers the endpoint to others. Beside a running follow or backfill on\n" +
			"the same data dir it fronts that process's engine (whose own endpoint is private)\n" +
			"with these users and limits.\n\n" +
			"Users come from --user-file (or $" + envUserFile + "), $" + envUsers + " and\n" +
			"$" + envReadonlyUsers + ", and --user/--readonly-user. Prefer the file or the\n" +
			"environment: a password on the command line is visible to every local user\n" +
			"(ps, /proc/PID/cmdline), and ethidx warns when it sees one there.\n\n" +
			"The user file has one user per line; blank lines and lines starting with # are\n" +
			"skipped:\n" +
			"  admin:s3cret             full access\n" +
			"  readonly grafana:pw      reads only\n" +
			"The password is everything after the first colon. $" + envUsers + " takes the\n" +
			"same entries, one per line or comma-separated.\n\n" +
			"Memory: the engine holds at most --max-server-memory-usage; --reserved-memory of it is\n" +
			"kept for ethidx's own writes. Endpoint users share the rest: one statement at most\n" +
			"--max-memory-usage, one user's statements together at most --max-memory-usage-for-user\n" +
			"(a statement waits, like one over the concurrency limit, until its limit fits). The\n" +
			"engine enforces them: no user, read-only, admin or the password-less default, can\n" +
			"raise them by URL parameter, SET or SETTINGS (SETTING_CONSTRAINT_VIOLATION); a\n" +
			"statement may lower them. Defaults here, from this machine's memory:\n" + formatMemory(defMemory) + ".\n" +
			"Requests are bounded before they are read: 1 MiB of query text, 1 GiB of body,\n" +
			"4 GiB of INSERT data decompressed, 1024x decompression, 64 MiB per native block,\n" +
			"16 open requests per user and 64 in all (413, 400 or 503 with ClickHouse's error).",
		Flags: append(own(
			&cli.StringFlag{Name: "user-file", Usage: "file of users, one 'name:password' or 'readonly name:password' per line", EnvVars: []string{envUserFile}},
			&cli.StringSliceFlag{Name: "user", Usage: "name:password with full access (repeatable; visible in the process list: prefer --user-file)"},
			&cli.StringSliceFlag{Name: "readonly-user", Usage: "name:password limited to reads (repeatable; visible in the process list: prefer --user-file)"},
			&cli.DurationFlag{Name: "max-execution-time", Usage: "per-query time limit of endpoint users (0 = none)", Value: sqlhttp.DefaultMaxExecutionTime},
			&cli.IntFlag{Name: "max-concurrent-queries-per-user", Usage: "statements one endpoint user runs at once; more wait in a queue", Value: 2},
			&cli.DurationFlag{Name: "queue-timeout", Usage: "how long a statement waits in that queue before it is answered 503 (too many queries)", Value: 10 * time.Second},
			&cli.Uint64Flag{Name: "max-memory-usage", Usage: "memory limit of one endpoint statement, in bytes (default: a quarter of what endpoint users share)", Value: defMemory.PerQuery},
			&cli.Uint64Flag{Name: "max-memory-usage-for-user", Usage: "memory limit of one endpoint user's statements together, in bytes (default: half of what endpoint users share)", Value: defMemory.PerUser},
			&cli.Uint64Flag{Name: "max-server-memory-usage", Usage: "the engine's memory ceiling, in bytes, for everything it holds (default: 3/4 of the machine's memory; the others scale with it)", Value: defMemory.Server},
			&cli.Uint64Flag{Name: "reserved-memory", Usage: "of that ceiling, bytes kept for ethidx's own writes that endpoint users never get (default: 3 GiB, at most half)", Value: defMemory.Reserved},
		), groups(catStorage, catLogging)...),
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	if c.Duration("max-execution-time") < 0 {
		return badInput("--max-execution-time must not be negative (0 = no limit)")
	}
	if c.Int("max-concurrent-queries-per-user") <= 0 || c.Duration("queue-timeout") <= 0 {
		return badInput("--max-concurrent-queries-per-user and --queue-timeout must be positive")
	}
	mem, err := memoryLimits(c)
	if err != nil {
		return err
	}
	maxTime := c.Duration("max-execution-time")
	if maxTime == 0 {
		maxTime = -1 // sqlhttp: negative is no limit, zero its default
	}
	users, err := endpointUsers(c)
	if err != nil {
		return err
	}
	if c.String("clickhouse") != "" {
		return badInput("serve exposes the embedded engine; with --clickhouse, connect your tools to that server instead")
	}
	st, err := openStore(c, false, endpointConfig{
		users: users, maxExecutionTime: maxTime, memory: mem,
		perUser: c.Int("max-concurrent-queries-per-user"), queueTimeout: c.Duration("queue-timeout"),
		page: page.New(page.Options{Database: c.String("database")}), public: true,
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if st.Fronted {
		slog.Info("the data dir is in use by another ethidx; serving its engine", "owner", st.Shared)
	}
	if host, _, _ := net.SplitHostPort(st.Addr); !net.ParseIP(host).IsLoopback() && len(users) == 0 {
		slog.Warn("serving on a non-loopback address with no password; give users with --user-file", "addr", st.Addr)
	}
	slog.Info("serving SQL", "addr", st.Addr, "data_dir", c.String("data-dir"), "database", st.Database,
		"users", len(users), "try", tryCommand(st.Addr, users))
	<-c.Context.Done()
	slog.Info("shutting down")
	return nil
}

// defMemory is this machine's default memory limits (sqlhttp.DefaultMemory).
var defMemory = sqlhttp.DefaultMemory()

// memoryLimits reads the memory flags: defaults scaled from
// --max-server-memory-usage when only that is given.
func memoryLimits(c *cli.Context) (sqlhttp.Memory, error) {
	m := defMemory
	if c.IsSet("max-server-memory-usage") {
		m = sqlhttp.MemoryFor(c.Uint64("max-server-memory-usage"))
	}
	for name, p := range map[string]*uint64{"max-memory-usage": &m.PerQuery, "max-memory-usage-for-user": &m.PerUser, "reserved-memory": &m.Reserved} {
		if c.IsSet(name) {
			*p = c.Uint64(name)
		}
	}
	if err := m.Check(); err != nil {
		return m, badInput("--max-server-memory-usage, --reserved-memory, --max-memory-usage-for-user, --max-memory-usage: %v", err)
	}
	return m, nil
}

func formatMemory(m sqlhttp.Memory) string {
	gib := func(n uint64) string { return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30)) }
	return fmt.Sprintf("ceiling %s, reserved %s, per user %s, per statement %s", gib(m.Server), gib(m.Reserved), gib(m.PerUser), gib(m.PerQuery))
}

// endpointUsers gathers the endpoint's users from the user file, the
// environment and the command line; a name may be given only once.
func endpointUsers(c *cli.Context) ([]sqlhttp.User, error) {
	var users []sqlhttp.User
	if path := c.String("user-file"); path != "" {
		us, err := readUserFile(path)
		if err != nil {
			return nil, err
		}
		users = append(users, us...)
	}
	if v := os.Getenv(envUsers); v != "" {
		us, err := parseUserList(v, "$"+envUsers)
		if err != nil {
			return nil, err
		}
		users = append(users, us...)
	}
	if v := os.Getenv(envReadonlyUsers); v != "" {
		for _, spec := range strings.Split(v, ",") {
			if spec = strings.TrimSpace(spec); spec == "" {
				continue
			}
			u, err := parseUser(spec, true)
			if err != nil {
				return nil, badInput("$%s: %v", envReadonlyUsers, err)
			}
			users = append(users, u)
		}
	}
	if c.IsSet("user") || c.IsSet("readonly-user") {
		slog.Warn("passwords given with --user or --readonly-user are visible to every local user in the process list; use --user-file or $" + envUsers)
	}
	for _, flag := range []string{"user", "readonly-user"} {
		for _, spec := range c.StringSlice(flag) {
			u, err := parseUser(spec, flag == "readonly-user")
			if err != nil {
				return nil, badInput("--%s: %v", flag, err)
			}
			users = append(users, u)
		}
	}
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u.Name] {
			return nil, badInput("user %q is given more than once", u.Name)
		}
		seen[u.Name] = true
	}
	return users, nil
}

// readUserFile reads a file of users (see serve's description). A file
// others may read is worth a warning: it holds passwords.
func readUserFile(path string) ([]sqlhttp.User, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badInput("--user-file: %v", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		slog.Warn("the user file can be read by other local users; chmod 600 it", "file", path, "mode", fi.Mode().Perm().String())
	}
	var users []sqlhttp.User
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		u, err := parseUserEntry(line)
		if err != nil {
			return nil, badInput("--user-file %s line %d: %v", path, n, err)
		}
		users = append(users, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading --user-file %s: %w", path, err)
	}
	if len(users) == 0 {
		return nil, badInput("--user-file %s holds no user", path)
	}
	return users, nil
}

// parseUserList reads the entries of $ETHIDX_USERS: one per line, or
// comma-separated when given on one line.
func parseUserList(v, source string) ([]sqlhttp.User, error) {
	sep := ","
	if strings.Contains(v, "\n") {
		sep = "\n"
	}
	var users []sqlhttp.User
	for _, entry := range strings.Split(v, sep) {
		entry = strings.TrimRight(entry, "\r")
		if t := strings.TrimSpace(entry); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		u, err := parseUserEntry(entry)
		if err != nil {
			return nil, badInput("%s: %v", source, err)
		}
		users = append(users, u)
	}
	return users, nil
}

// parseUserEntry reads "name:password" or "readonly name:password".
func parseUserEntry(entry string) (sqlhttp.User, error) {
	entry = strings.TrimLeft(entry, " \t")
	readOnly := false
	if rest, ok := strings.CutPrefix(entry, "readonly "); ok {
		readOnly, entry = true, strings.TrimLeft(rest, " \t")
	}
	return parseUser(entry, readOnly)
}

// parseUser reads name:password; the password is everything after the
// first colon.
func parseUser(spec string, readOnly bool) (sqlhttp.User, error) {
	name, pass, ok := strings.Cut(spec, ":")
	if !ok || name == "" {
		return sqlhttp.User{}, badInput("user entry %q: want name:password", redactUser(spec))
	}
	for _, r := range name {
		if !(r == '_' || r == '-' || r == '.' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return sqlhttp.User{}, badInput("user name %q: want letters, digits, '_', '-' or '.'", name)
		}
	}
	return sqlhttp.User{Name: name, Password: pass, ReadOnly: readOnly}, nil
}

// redactUser keeps a password out of an error message.
func redactUser(spec string) string {
	if name, _, ok := strings.Cut(spec, ":"); ok {
		return name + ":***"
	}
	return spec
}

// tryCommand is a first request a user can paste: with users, as the first
// of them (curl asks for the password, which is never logged).
func tryCommand(addr string, users []sqlhttp.User) string {
	auth := ""
	if len(users) > 0 {
		auth = "-u " + users[0].Name + " "
	}
	return "curl " + auth + "'http://" + addr + "/?query=SELECT+1'"
}
