package main

import (
	"os"

	"github.com/urfave/cli/v2"

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
				Usage: "print the DDL; --cluster NAME prints the replicated, sharded variant",
				UsageText: "ethidx schema print\n" +
					"ethidx schema print --cluster my_cluster",
				Flags: append(own(&cli.StringFlag{Name: "cluster", Usage: "ClickHouse cluster name"}),
					groups(catLogging)...),
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
	_, err := os.Stdout.WriteString(schema.Print(cluster))
	return err
}
