package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/schema"
)

func engineCommand() *cli.Command {
	return &cli.Command{
		Name:         "engine",
		Usage:        "manage the embedded ClickHouse engine",
		OnUsageError: commandUsageError,
		Subcommands: []*cli.Command{{
			Name:  "install",
			Usage: "fetch the embedded engine (libchdb.so) into the user cache and print its path",
			Description: "Downloads chDB's libchdb.so (ClickHouse " + chdb.LibraryVersion + ") from the npm registry with\n" +
				"`npm pack`, verifies it and caches it; a second run costs nothing. Set\n" +
				"ETHIDX_LIBCHDB=/path/libchdb.so to use a copy you already have.",
			Action: func(c *cli.Context) error {
				path, err := chdb.Install(c.Context, slog.Default())
				if err != nil {
					return err
				}
				fmt.Println(path)
				return nil
			},
		}},
	}
}

func serveCommand() *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the embedded engine's ClickHouse-compatible SQL endpoint (for BI tools)",
		UsageText: "ethidx serve\n" +
			"ethidx serve --http-addr 0.0.0.0:8123 --user admin:s3cret --readonly-user grafana:pw",
		Description: "Speaks ClickHouse's HTTP interface: clickhouse-go, clickhouse-connect, the JDBC\n" +
			"driver, @clickhouse/client and curl connect to it. Binds loopback unless told\n" +
			"otherwise. With no --user, the 'default' user has no password: only do that on\n" +
			"loopback. Read-only users cannot INSERT, run DDL or change settings.",
		OnUsageError: commandUsageError,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "user", Usage: "name:password with full access (repeatable)", EnvVars: []string{"ETHIDX_USERS"}},
			&cli.StringSliceFlag{Name: "readonly-user", Usage: "name:password limited to reads (repeatable)", EnvVars: []string{"ETHIDX_READONLY_USERS"}},
			&cli.DurationFlag{Name: "max-execution-time", Usage: "per-query time limit (0 = none)"},
			&cli.Uint64Flag{Name: "max-memory-usage", Usage: "per-query memory limit in bytes (0 = engine default)"},
		},
		Action: runServe,
	}
}

func runServe(c *cli.Context) error {
	var users []sqlhttp.User
	for _, spec := range c.StringSlice("user") {
		u, err := parseUser(spec, false)
		if err != nil {
			return err
		}
		users = append(users, u)
	}
	for _, spec := range c.StringSlice("readonly-user") {
		u, err := parseUser(spec, true)
		if err != nil {
			return err
		}
		users = append(users, u)
	}
	if c.String("clickhouse") != "" {
		return badInput("serve exposes the embedded engine; with --clickhouse, connect your tools to that server instead")
	}
	st, err := openStore(c, false, endpointConfig{
		users: users, maxExecutionTime: c.Duration("max-execution-time"), maxMemoryUsage: c.Uint64("max-memory-usage"),
	})
	if err != nil {
		return err
	}
	defer st.Close()
	if st.addr == "" {
		return fmt.Errorf("data dir %s is already served by another ethidx", c.String("data-dir"))
	}
	if host, _, _ := net.SplitHostPort(st.addr); !net.ParseIP(host).IsLoopback() && len(users) == 0 {
		slog.Warn("serving on a non-loopback address with no password; pass --user and --readonly-user", "addr", st.addr)
	}
	slog.Info("serving SQL", "addr", st.addr, "data_dir", c.String("data-dir"), "database", st.database,
		"try", "curl 'http://"+st.addr+"/?query=SELECT+1'")
	<-c.Context.Done()
	slog.Info("shutting down")
	return nil
}

func parseUser(spec string, readOnly bool) (sqlhttp.User, error) {
	name, pass, ok := strings.Cut(spec, ":")
	if !ok || name == "" {
		return sqlhttp.User{}, badInput("user %q: want name:password", spec)
	}
	return sqlhttp.User{Name: name, Password: pass, ReadOnly: readOnly}, nil
}

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:         "schema",
		Usage:        "apply or print ethidx's ClickHouse schema",
		OnUsageError: commandUsageError,
		Subcommands: []*cli.Command{
			{
				Name:  "migrate",
				Usage: "apply pending migrations (also done automatically on first use)",
				Action: func(c *cli.Context) error {
					st, err := openStore(c, false, endpointConfig{})
					if err != nil {
						return err
					}
					return st.Close()
				},
			},
			{
				Name:  "print",
				Usage: "print the DDL; --cluster NAME prints the replicated, sharded variant",
				Flags: []cli.Flag{&cli.StringFlag{Name: "cluster", Usage: "ClickHouse cluster name"}},
				Action: func(c *cli.Context) error {
					cluster := c.String("cluster")
					if cluster != "" && !validIdent(cluster) {
						return badInput("--cluster %q: want letters, digits and underscores", cluster)
					}
					_, err := os.Stdout.WriteString(schema.Print(cluster))
					return err
				},
			},
		},
	}
}
