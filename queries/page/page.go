// Package page is the page `ethidx serve` shows a browser at /: the latest
// complete month's three figures and their growth, the report's chart
// (inline SVG, the same gonum/plot drawing as `ethidx report --chart`), the
// definitions (from the saved queries' own headers), the daily table and
// how fresh the data is. Plain HTML from html/template, no JavaScript.
//
// The page reads as the person looking at it: the browser's credentials
// (HTTP basic auth, asked for with a challenge) are passed to the SQL
// endpoint, whose users, guard and limits apply, and every statement runs
// with readonly=1. So a read-only user's credentials are enough, and the
// page can show nothing that user could not query.
package page

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/report"
	"github.com/ethidx/ethidx/schema"
)

// Options configures the page.
type Options struct {
	// Database holds ethidx's tables and views.
	Database string
	// Connect opens a connection to the SQL endpoint as user (with
	// password) for one request; nil connects over HTTP to the address
	// the request came in on.
	Connect func(ctx context.Context, r *http.Request, user, password string) (driver.Conn, error)
	Logger  *slog.Logger
	// Now is the clock (tests pin it); nil is time.Now.
	Now func() time.Time
}

// Handler serves the page.
type Handler struct{ o Options }

// New returns the page's handler.
func New(o Options) *Handler {
	if o.Database == "" {
		o.Database = "eth"
	}
	if o.Connect == nil {
		o.Connect = connectLocal(o.Database)
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Handler{o: o}
}

// connectLocal connects over HTTP to the address the request came in on:
// the endpoint serving this page.
func connectLocal(database string) func(context.Context, *http.Request, string, string) (driver.Conn, error) {
	return func(ctx context.Context, r *http.Request, user, password string) (driver.Conn, error) {
		addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		if !ok {
			return nil, errors.New("the page is served only over the network")
		}
		return clickhouse.Open(&clickhouse.Options{
			Protocol:    clickhouse.HTTP,
			Addr:        []string{addr.String()},
			Auth:        clickhouse.Auth{Database: database, Username: user, Password: password},
			DialTimeout: 10 * time.Second,
			ReadTimeout: time.Minute,
		})
	}
}

//go:embed page.html.tmpl
var pageHTML string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"count":  func(v any) string { return report.FormatCount(toFloat(v)) },
	"growth": report.FormatGrowth,
	"day":    func(t time.Time) string { return t.UTC().Format("Mon 2 Jan") },
	"month":  func(t time.Time) string { return t.UTC().Format("January 2006") },
	"up":     func(g *float64) bool { return g != nil && *g > 0.05 },
	"down":   func(g *float64) bool { return g != nil && *g < -0.05 },
}).Parse(pageHTML))

func toFloat(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case uint64:
		return float64(v)
	}
	return 0
}

// view is what the template draws.
type view struct {
	Database    string
	Report      *report.Report
	NoMonth     string // why there is no report
	Cards       []card
	PerDay      bool // the cards compare per-day means: a month is partial
	Sentence    string
	Chart       template.HTML
	Days        []report.Day
	Definitions []definition
	Fresh       *freshness
	Generated   time.Time
}

type definition struct{ Name, Text string }

// card is one of the three figures and its growth.
type card struct {
	Label  string
	Value  float64
	Growth *float64
}

// cards are the month's three figures, as the report's sentence compares
// them: totals, or per-day means when either month is partial.
func cards(r *report.Report) ([]card, bool) {
	m := r.Month
	if m.Partial == 1 || r.Prev.Partial == 1 {
		return []card{
			{"Daily active addresses (mean)", m.ActiveMean, m.ActiveGrowth},
			{"New addresses per day", m.NewPerDay, m.NewPerDayGrowth},
			{"Transactions per day", m.TxPerDay, m.TxPerDayGrowth},
		}, true
	}
	return []card{
		{"Daily active addresses (mean)", m.ActiveMean, m.ActiveGrowth},
		{"New addresses", float64(m.NewAddresses), m.NewGrowth},
		{"Transactions", float64(m.Transactions), m.TxGrowth},
	}, false
}

type freshness struct {
	NewestBlock uint64    `ch:"newest_block"`
	NewestTime  time.Time `ch:"newest_time"`
	DoneThrough uint64    `ch:"done_through"`
	Age         string    `ch:"-"`
}

// codeAuthFailed is ClickHouse's AUTHENTICATION_FAILED.
const codeAuthFailed = 516

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, password, ok := r.BasicAuth()
	if !ok {
		user, password = "default", ""
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute)
	defer cancel()
	conn, err := h.o.Connect(ctx, r, user, password)
	if err != nil {
		h.fail(w, err)
		return
	}
	defer conn.Close()
	// Every statement read-only, whatever the user may do elsewhere.
	ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"readonly": 1}))
	v, err := h.build(ctx, conn)
	var ex *clickhouse.Exception
	if errors.As(err, &ex) && ex.Code == codeAuthFailed {
		w.Header().Set("WWW-Authenticate", `Basic realm="ethidx", charset="UTF-8"`)
		http.Error(w, "ethidx: sign in with an endpoint user (a read-only one is enough)", http.StatusUnauthorized)
		return
	}
	if err != nil {
		h.fail(w, err)
		return
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, v); err != nil {
		h.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// The page has no script and loads nothing: say so to the browser.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	w.Write(buf.Bytes())
}

func (h *Handler) fail(w http.ResponseWriter, err error) {
	h.o.Logger.Warn("page failed", "err", err)
	http.Error(w, "ethidx: the page could not be drawn: "+err.Error(), http.StatusInternalServerError)
}

//go:embed sql/freshness.sql
var freshnessSQL string

// build reads everything the page shows.
func (h *Handler) build(ctx context.Context, conn driver.Conn) (*view, error) {
	v := &view{Database: h.o.Database, Generated: h.o.Now().UTC(), Definitions: definitions()}
	var fresh []freshness
	if err := conn.Select(ctx, &fresh, schema.SplitStatements(freshnessSQL)[0]); err != nil {
		return nil, fmt.Errorf("reading the newest block: %w", err)
	}
	if len(fresh) == 0 {
		v.NoMonth = "Nothing is indexed yet: load a range with `ethidx backfill`, or follow a node with `ethidx follow`."
		return v, nil
	}
	f := fresh[0]
	f.Age = age(v.Generated.Sub(f.NewestTime))
	v.Fresh = &f
	r, err := report.Monthly(ctx, conn, "")
	if errors.Is(err, report.ErrNoCompleteMonth) {
		v.NoMonth = "No calendar month is completely indexed yet (" + err.Error() + ")."
		return v, nil
	}
	if err != nil {
		return nil, err
	}
	if err := r.LoadDays(ctx, conn); err != nil {
		return nil, err
	}
	var svg bytes.Buffer
	if err := r.EncodeChart(&svg, "svg"); err != nil {
		return nil, err
	}
	v.Report, v.Sentence, v.Days = r, r.Sentence(), r.Days
	v.Cards, v.PerDay = cards(r)
	// The chart is this package's own drawing of numbers; its XML
	// declaration has no place inside HTML.
	v.Chart = template.HTML(xmlDecl.ReplaceAllString(svg.String(), ""))
	return v, nil
}

var xmlDecl = regexp.MustCompile(`<\?xml[^>]*\?>`)

func age(d time.Duration) string {
	switch {
	case d < 0:
		return "just now"
	case d < 2*time.Minute:
		return fmt.Sprintf("%d seconds ago", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d minutes ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d hours ago", int(d.Hours()))
	}
	return fmt.Sprintf("%d days ago", int(d.Hours()/24))
}

// definitions are the figures' definitions as the saved queries' headers
// state them (queries/daily_activity.sql, queries/monthly_growth.sql), so
// the page never words them differently from the SQL.
func definitions() []definition {
	var out []definition
	daily, _ := queries.Get("daily_activity")
	monthly, _ := queries.Get("monthly_growth")
	dcols, mcols := columnDefs(daily.Definition), columnDefs(monthly.Definition)
	for _, d := range []struct{ name, text string }{
		{"Day", dcols["day"]},
		{"Transactions", dcols["tx_count"]},
		{"Active addresses", dcols["active_addresses"]},
		{"New addresses", dcols["new_addresses"]},
		{"Exactness of new addresses", dcols["new_addresses_exact"]},
		{"Complete day", dcols["complete"]},
		{"Month-over-month growth", mcols["*_growth_pct"]},
		{"Partial month", mcols["partial"]},
	} {
		if d.text != "" {
			out = append(out, definition{d.name, d.text})
		}
	}
	return out
}

var (
	defEntry = regexp.MustCompile(`^  ([\w*]+)\s{2,}(.*)$`)
	defMore  = regexp.MustCompile(`^\s{4,}(\S.*)$`)
)

// columnDefs reads a saved query's column list ("  name   text", text
// continued on indented lines) into name -> text.
func columnDefs(def string) map[string]string {
	out := map[string]string{}
	var cur string
	for _, line := range strings.Split(def, "\n") {
		if m := defEntry.FindStringSubmatch(line); m != nil {
			cur = m[1]
			out[cur] = m[2]
			continue
		}
		if m := defMore.FindStringSubmatch(line); m != nil && cur != "" {
			out[cur] += " " + m[1]
			continue
		}
		cur = ""
	}
	return out
}
