package page_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/chsink"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/page"
	"github.com/ethidx/ethidx/queries/querytest"
	"github.com/ethidx/ethidx/queries/report"
	"github.com/ethidx/ethidx/store"
)

func get(t *testing.T, url, accept, user, pass string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// The endpoint answers a browser at / with the page, as the browser's
// user; ClickHouse clients at / are answered as before.
func TestPage(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{
		Engine: chdbtest.Open(t),
		Endpoint: sqlhttp.Config{
			Users: []sqlhttp.User{{Name: "admin", Password: "adminpw"}, {Name: "bi", Password: "bipw", ReadOnly: true}},
			Page:  page.New(page.Options{Database: "eth"}),
		},
		Install: func(ctx context.Context, conn driver.Conn) error { return queries.Install(ctx, conn) },
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	url := "http://" + st.Addr + "/"

	// A stranger is asked to sign in; a wrong password is refused.
	code, h, _ := get(t, url, browser, "", "")
	if code != http.StatusUnauthorized || !strings.HasPrefix(h.Get("WWW-Authenticate"), "Basic ") {
		t.Errorf("no credentials: %d %q, want 401 with a Basic challenge", code, h.Get("WWW-Authenticate"))
	}
	if code, _, _ := get(t, url, browser, "bi", "wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", code)
	}

	// An empty store says what to do.
	code, _, body := get(t, url, browser, "bi", "bipw")
	if code != http.StatusOK || !strings.Contains(body, "Nothing is indexed yet") {
		t.Errorf("empty store: %d\n%s", code, body)
	}

	chain := querytest.Chain(0, 330, 1)
	sink := chsink.New(st.Conn)
	if err := sink.Write(ctx, chain); err != nil {
		t.Fatal(err)
	}
	if err := sink.MarkDone(ctx, indexer.Range{From: 0, To: 329}); err != nil {
		t.Fatal(err)
	}
	r, err := report.Monthly(ctx, st.Conn, "")
	if err != nil {
		t.Fatal(err)
	}

	// The read-only user sees the latest complete month: its figures and
	// growth as the report computes them, the chart, the days, the
	// definitions, the newest block.
	code, h, body = get(t, url, browser, "bi", "bipw")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s\n%s", code, h.Get("Content-Type"), body)
	}
	for _, want := range []string{
		"January 2026",
		report.FormatCount(float64(r.Month.Transactions)),
		report.FormatCount(r.Month.ActiveMean),
		report.FormatGrowth(r.Month.TxGrowth) + " vs December 2025",
		report.FormatGrowth(r.Month.ActiveGrowth),
		r.Sentence(),
		"<svg", "Active addresses",
		"2026-01-15 Thu",
		"distinct addresses that were the sender, the recipient",
		"newest block 329",
		"completed through block 329",
	} {
		if !strings.Contains(body, strings.ReplaceAll(want, "'", "&#39;")) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script") || strings.Contains(body, "<?xml") {
		t.Error("page holds a script or an XML declaration")
	}
	// An admin sees the same page (its statements run read-only too).
	if code, _, admin := get(t, url, browser, "admin", "adminpw"); code != http.StatusOK || !strings.Contains(admin, r.Sentence()) {
		t.Errorf("admin: %d", code)
	}

	// ClickHouse clients: GET / without HTML is the health check, a query
	// in the URL or the body runs, whatever the Accept header.
	if code, _, body := get(t, url, "*/*", "", ""); code != http.StatusOK || body != "Ok.\n" {
		t.Errorf("GET / as a client: %d %q", code, body)
	}
	if code, _, body := get(t, url+"?query=SELECT+40%2B2", browser, "bi", "bipw"); code != http.StatusOK || body != "42\n" {
		t.Errorf("GET /?query= from a browser: %d %q", code, body)
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("SELECT 7"))
	req.Header.Set("Accept", browser)
	req.SetBasicAuth("bi", "bipw")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "7\n" {
		t.Errorf("POST /: %q", b)
	}
}
