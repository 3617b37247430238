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

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/store"
)

func queryCommand() *cli.Command {
	return &cli.Command{
		Name:  "query",
		Usage: "run a saved query (daily_activity, monthly_growth, ...)",
		UsageText: "ethidx query --list\n" +
			"ethidx query daily_activity --from-date 2026-01-01 --to-date 2026-01-31 --format csv\n" +
			"ethidx query monthly_growth --format json",
		Description: "Saved queries live in queries/*.sql, each with its exact definition; they are\n" +
			"also installed as views of the same name for BI tools. --from-date/--to-date\n" +
			"bound the days; --param name=value sets any other parameter.",
		ArgsUsage: "NAME",
		Flags: append(own(
			formatFlag,
			&cli.BoolFlag{Name: "list", Usage: "list the saved queries and their parameters"},
			fromDateFlag, toDateFlag,
			hiddenAlias("from", "from-date"), hiddenAlias("to", "to-date"),
			&cli.StringSliceFlag{Name: "param", Usage: "name=value for another parameter (repeatable)"},
		), groups(catStorage, catLogging)...),
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
	// The saved queries' day bounds are the parameters "from" and "to".
	var days [2]time.Time
	for i, f := range [][3]string{{"from-date", "from", "from"}, {"to-date", "to", "to"}} {
		v, set := aliased(c, f[0], f[1])
		if !set {
			continue
		}
		d, err := parseDate("--"+f[0], v)
		if err != nil {
			return err
		}
		days[i] = d
		params[f[2]] = v
	}
	if !days[0].IsZero() && !days[1].IsZero() && days[1].Before(days[0]) {
		return badInput("--to-date %s is before --from-date %s", params["to"], params["from"])
	}
	if err := checkFormat(c); err != nil {
		return err
	}
	st, err := openQueryStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	err = queries.Run(c.Context, st.Conn, c.Args().First(), params, c.String("format"), os.Stdout)
	if errors.Is(err, queries.ErrInput) {
		return usageError{err}
	}
	return requestError(err)
}

// openQueryStore opens storage for the read side (query, sql, report). It
// keeps the schema and views current when the user may, and otherwise
// reads what is there: a read-only BI user can run these commands too.
func openQueryStore(c *cli.Context) (*store.Store, error) {
	// query and report compute figures: a store that lost data is refused.
	// sql is how a user looks into it, so it opens one, with a warning.
	ep := endpointConfig{allowDamage: c.Command.Name == "sql", mustExist: true}
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
