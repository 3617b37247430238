package main

import (
	"errors"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/sqltext"
)

func sqlCommand() *cli.Command {
	return &cli.Command{
		Name:  "sql",
		Usage: "run SQL against ethidx's database",
		UsageText: "ethidx sql \"SELECT day, tx_count FROM daily_activity ORDER BY day DESC LIMIT 7\"\n" +
			"ethidx sql --format csv \"SELECT * FROM transactions_hex WHERE block_number = 19000000\"",
		Description: "Runs one statement in ethidx's database (--database) and prints its result.\n" +
			"A FORMAT clause in the statement (FORMAT Vertical, CSV, Parquet, ...) wins over\n" +
			"--format: the server's output is copied as it is.\n" +
			"SQL the server refuses (a syntax error, an unknown table, a read-only user\n" +
			"writing) exits 2; a failure of the server exits 1.",
		ArgsUsage: "SQL",
		Flags:     append(own(formatFlag), groups(catStorage, catLogging)...),
		Action:    runSQL,
	}
}

func runSQL(c *cli.Context) error {
	if c.NArg() != 1 {
		return badInput("give the SQL as one argument (quote it)")
	}
	if err := checkFormat(c); err != nil {
		return err
	}
	st, err := openQueryStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	sql := c.Args().First()
	if f := sqltext.OutputFormat(sql); f != "" {
		// The statement names its own output: pass the server's bytes on
		// (a binary format included) rather than decode rows.
		if st.Raw == nil {
			return badInput("FORMAT %s in the statement needs ClickHouse's HTTP interface; drop it and use --format, or give --clickhouse http://HOST:8123/DB", f)
		}
		return requestError(st.Raw.RawQuery(c.Context, sql, os.Stdout))
	}
	err = queries.RunSQL(c.Context, st.Conn, sql, c.String("format"), os.Stdout)
	if errors.Is(err, queries.ErrInput) {
		return usageError{err}
	}
	return requestError(err)
}
