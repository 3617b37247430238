package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/report"
	"github.com/ethidx/ethidx/queries"
)

func queryCommand() *cli.Command {
	return &cli.Command{
		Name:  "query",
		Usage: "run a saved query (daily_activity, monthly_growth, ...)",
		UsageText: "ethidx query --list\n" +
			"ethidx query daily_activity --from 2026-01-01 --to 2026-01-31 --format csv\n" +
			"ethidx query monthly_growth --format json",
		Description: "Saved queries live in queries/*.sql, each with its exact definition; they are\n" +
			"also installed as views of the same name for BI tools. --from/--to bound the\n" +
			"days; --param name=value sets any other parameter.",
		ArgsUsage:    "NAME",
		OnUsageError: commandUsageError,
		Flags: []cli.Flag{
			formatFlag,
			&cli.BoolFlag{Name: "list", Usage: "list the saved queries and their parameters"},
			&cli.StringFlag{Name: "from", Usage: "first UTC day, YYYY-MM-DD"},
			&cli.StringFlag{Name: "to", Usage: "last UTC day, YYYY-MM-DD"},
			&cli.StringSliceFlag{Name: "param", Usage: "name=value for another parameter (repeatable)"},
		},
		Action: runQuery,
	}
}

func runQuery(c *cli.Context) error {
	if c.Bool("list") {
		return listQueries()
	}
	if c.NArg() != 1 {
		return badInput("give one saved query name (ethidx query --list shows them)")
	}
	params := map[string]string{}
	for _, kv := range c.StringSlice("param") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return badInput("--param %q: want name=value", kv)
		}
		params[k] = v
	}
	for _, f := range []string{"from", "to"} {
		if c.IsSet(f) {
			if _, err := parseDate("--"+f, c.String(f)); err != nil {
				return err
			}
			params[f] = c.String(f)
		}
	}
	st, err := openQueryStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	err = queries.Run(c.Context, st.conn, c.Args().First(), params, c.String("format"), os.Stdout)
	if errors.Is(err, queries.ErrInput) {
		return usageError{err}
	}
	return requestError(err)
}

// openQueryStore opens storage for the read side (query, sql, report). It
// keeps the schema and views current when the user may, and otherwise
// reads what is there: a read-only BI user can run these commands too.
func openQueryStore(c *cli.Context) (*store, error) {
	// query and report compute figures: a store that lost data is refused.
	// sql is how a user looks into it, so it opens one, with a warning.
	ep := endpointConfig{allowDamage: c.Command.Name == "sql"}
	st, err := openStore(c, false, ep)
	var ex *clickhouse.Exception
	if err != nil && errors.As(err, &ex) && (ex.Code == codeReadonly || ex.Code == codeAccessDenied) {
		slog.Debug("read-only user: not migrating", "err", err)
		return openStore(c, true, ep)
	}
	return st, err
}

// ClickHouse error codes the CLI tells apart.
const (
	codeReadonly     = 164
	codeAccessDenied = 497
)

// refusedCodes are the ClickHouse errors that mean the statement itself
// was refused, whatever the server's state: running it again fails the
// same way.
var refusedCodes = map[int32]bool{
	1:   true, // UNSUPPORTED_METHOD
	6:   true, // CANNOT_PARSE_TEXT
	16:  true, // NO_SUCH_COLUMN_IN_TABLE
	27:  true, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
	36:  true, // BAD_ARGUMENTS
	38:  true, // CANNOT_PARSE_DATE
	41:  true, // CANNOT_PARSE_DATETIME
	42:  true, // NUMBER_OF_ARGUMENTS_DOESNT_MATCH
	43:  true, // ILLEGAL_TYPE_OF_ARGUMENT
	44:  true, // ILLEGAL_COLUMN
	46:  true, // UNKNOWN_FUNCTION
	47:  true, // UNKNOWN_IDENTIFIER
	48:  true, // NOT_IMPLEMENTED
	53:  true, // TYPE_MISMATCH
	57:  true, // TABLE_ALREADY_EXISTS
	60:  true, // UNKNOWN_TABLE
	62:  true, // SYNTAX_ERROR
	70:  true, // CANNOT_CONVERT_TYPE
	81:  true, // UNKNOWN_DATABASE
	115: true, // UNKNOWN_SETTING
	164: true, // READONLY
	179: true, // MULTIPLE_EXPRESSIONS_FOR_ALIAS
	184: true, // ILLEGAL_AGGREGATION
	192: true, // UNKNOWN_USER
	215: true, // NOT_AN_AGGREGATE
	352: true, // AMBIGUOUS_COLUMN_NAME
	456: true, // UNKNOWN_QUERY_PARAMETER
	457: true, // BAD_QUERY_PARAMETER
	497: true, // ACCESS_DENIED
	516: true, // AUTHENTICATION_FAILED
}

// requestError makes the server's refusal of a statement (a syntax error,
// an unknown table or column, a read-only user writing) bad input, exit 2.
// Anything else the server fails with (a time or memory limit, a network
// or storage fault) stays a runtime failure, exit 1: rerunning may work.
func requestError(err error) error {
	var ex *clickhouse.Exception
	if errors.As(err, &ex) && refusedCodes[ex.Code] {
		return usageError{err}
	}
	return err
}

func listQueries() error {
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tPARAMETERS\tDESCRIPTION")
	qs := queries.List()
	sort.Slice(qs, func(i, j int) bool { return qs[i].Name < qs[j].Name })
	for _, q := range qs {
		var ps []string
		for _, p := range q.Params {
			ps = append(ps, fmt.Sprintf("%s %s", p.Name, p.Type))
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", q.Name, strings.Join(ps, ", "), q.Description)
	}
	return w.Flush()
}

func sqlCommand() *cli.Command {
	return &cli.Command{
		Name:  "sql",
		Usage: "run SQL against ethidx's database",
		UsageText: "ethidx sql \"SELECT day, tx_count FROM daily_activity ORDER BY day DESC LIMIT 7\"\n" +
			"ethidx sql --format csv \"SELECT * FROM transactions_hex WHERE block_number = 19000000\"",
		ArgsUsage:    "SQL",
		OnUsageError: commandUsageError,
		Flags:        []cli.Flag{formatFlag},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return badInput("give the SQL as one argument (quote it)")
			}
			st, err := openQueryStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			err = queries.RunSQL(c.Context, st.conn, c.Args().First(), c.String("format"), os.Stdout)
			if errors.Is(err, queries.ErrInput) {
				return usageError{err}
			}
			return requestError(err)
		},
	}
}

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:  "report",
		Usage: "month-over-month summary: daily active addresses, new addresses, transactions",
		UsageText: "ethidx report                       # the latest complete month\n" +
			"ethidx report --month 2026-01 --chart jan.svg",
		Description: "Prints the month against the one before, in the form the press quotes, with\n" +
			"coverage (days indexed) and whether new-address counts are exact (history from\n" +
			"genesis). --chart draws the daily series of the three metrics with the month\n" +
			"boundaries, as SVG or PNG by the file's extension.",
		OnUsageError: commandUsageError,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "month", Usage: "YYYY-MM (default: the latest complete month)"},
			&cli.StringFlag{Name: "chart", Usage: "also draw the daily series to FILE.svg or FILE.png"},
		},
		Action: func(c *cli.Context) error {
			month := c.String("month")
			if month != "" {
				if _, err := time.Parse("2006-01", month); err != nil {
					return badInput("--month %q: want YYYY-MM", month)
				}
			}
			chart := c.String("chart")
			if chart != "" && !strings.HasSuffix(chart, ".svg") && !strings.HasSuffix(chart, ".png") {
				return badInput("--chart %q: want a .svg or .png file", chart)
			}
			st, err := openQueryStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := report.Monthly(c.Context, st.conn, month)
			if err != nil {
				return err
			}
			if err := r.WriteText(os.Stdout); err != nil {
				return err
			}
			if chart != "" {
				if err := r.LoadDays(c.Context, st.conn); err != nil {
					return err
				}
				if err := r.WriteChart(chart); err != nil {
					return err
				}
				slog.Info("chart written", "file", chart)
			}
			return nil
		},
	}
}
