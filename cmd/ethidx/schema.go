package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/cluster"
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
				Usage: "print everything ethidx creates (tables, the day cache, views); with --cluster NAME, their cluster form",
				UsageText: "ethidx schema print\n" +
					"ethidx schema print --cluster my_cluster",
				Flags:  groups(catStorage, catLogging),
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
	ms := schema.Migrations()
	version := ms[len(ms)-1].Version
	if st.Migrated == 0 {
		fmt.Printf("database %s: schema up to date (version %d)\n", st.Database, version)
	} else {
		fmt.Printf("database %s: applied %d migrations (now version %d)\n", st.Database, st.Migrated, version)
	}
	return st.Close()
}

func runSchemaPrint(c *cli.Context) error {
	database := c.String("database")
	var rewrite func(string) ([]string, error)
	if name := c.String("cluster"); name != "" {
		f, err := cluster.New(name)
		if err != nil {
			return badInput("--cluster: %v", err)
		}
		rewrite = f.Rewrite
	}
	out, err := schema.Print(rewrite)
	if err != nil {
		return err
	}
	// Everything else ethidx creates: the internal views and one view per
	// saved query, as every start installs them, qualified with
	// --database.
	var b strings.Builder
	b.WriteString(out)
	b.WriteString("-- The views of the saved queries (queries/), installed by every ethidx\n-- start in database " + database + ".\n\n")
	for _, stmt := range queries.InstallStatements(database) {
		forms := []string{stmt}
		if rewrite != nil {
			if forms, err = rewrite(stmt); err != nil {
				return err
			}
		}
		for _, s := range forms {
			b.WriteString(strings.TrimSpace(s))
			b.WriteString(";\n\n")
		}
	}
	_, err = os.Stdout.WriteString(b.String())
	return err
}
