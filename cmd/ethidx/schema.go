package main

import (
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/schema"
)

func schemaCommand() *cli.Command {
	return &cli.Command{
		Name:  "schema",
		Usage: "apply or print ethidx's ClickHouse schema",
		Subcommands: []*cli.Command{
			{
				Name:  "migrate",
				Usage: "apply pending migrations (also done automatically on first use)",
				UsageText: "ethidx schema migrate\n" +
					"ethidx --clickhouse clickhouse://clickhouse:9000/eth schema migrate",
				Flags:  groups(catStorage, catLogging),
				Action: runSchemaMigrate,
			},
			{
				Name:  "print",
				Usage: "print everything ethidx creates (tables, views, the day cache); --cluster NAME prints the replicated, sharded tables",
				UsageText: "ethidx schema print\n" +
					"ethidx schema print --cluster my_cluster",
				Flags: append(own(&cli.StringFlag{Name: "cluster", Usage: "ClickHouse cluster name"}),
					groups(catStorage, catLogging)...),
				Action: runSchemaPrint,
			},
		},
	}
}

func runSchemaMigrate(c *cli.Context) error {
	st, err := openStore(c, false, endpointConfig{})
	if err != nil {
		return err
	}
	return st.Close()
}

func runSchemaPrint(c *cli.Context) error {
	cluster := c.String("cluster")
	if cluster != "" && !validIdent(cluster) {
		return badInput("--cluster %q: want letters, digits and underscores", cluster)
	}
	out := schema.Print(cluster)
	if cluster == "" {
		// Everything else ethidx creates: the day cache, the internal
		// views and one view per saved query, as every start installs
		// them, qualified with --database. (Their cluster form is not
		// generated yet.)
		database := c.String("database")
		if !validIdent(database) {
			return badInput("--database %q: want letters, digits and underscores", database)
		}
		var b strings.Builder
		b.WriteString(out)
		b.WriteString("\n-- The day cache and the views of the saved queries (queries/), installed by\n-- every ethidx start in database " + database + ".\n\n")
		for _, stmt := range queries.InstallStatements(database) {
			b.WriteString(strings.TrimSpace(stmt))
			b.WriteString(";\n\n")
		}
		out = b.String()
	}
	_, err := os.Stdout.WriteString(out)
	return err
}
