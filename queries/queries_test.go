package queries_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/queries/querytest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s", name, got)
	}
}

func TestList(t *testing.T) {
	want := []string{"daily_activity", "daily_blobs", "daily_coverage", "daily_fees", "monthly_growth", "top_contracts"}
	var got []string
	for _, q := range queries.List() {
		got = append(got, q.Name)
		if q.Description == "" || q.Definition == "" || q.View == "" || q.SQL == "" {
			t.Errorf("%s: incomplete header: %+v", q.Name, q)
		}
		for _, p := range q.Params {
			if p.Type == "" || p.Default == "" || p.Description == "" {
				t.Errorf("%s: parameter %s lacks a type, default or description", q.Name, p.Name)
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("List() = %v, want %v", got, want)
	}
	q, ok := queries.Get("daily_activity")
	if !ok || q.View != "daily_activity_between" || q.AllView != "daily_activity" || len(q.Params) != 2 {
		t.Errorf("Get(daily_activity) = %+v, %v", q, ok)
	}
	if _, ok := queries.Get("nope"); ok {
		t.Error("Get(nope) found something")
	}
}

func TestBindRejects(t *testing.T) {
	q, _ := queries.Get("daily_activity")
	for _, params := range []map[string]string{
		{"from": "2026-13-01"},
		{"from": "yesterday"},
		{"to": "1969-12-31"},
		{"since": "2026-01-01"},
	} {
		if _, err := q.Bind(params); !errors.Is(err, queries.ErrInput) {
			t.Errorf("Bind(%v) = %v, want an ErrInput", params, err)
		}
	}
	p, err := q.Bind(map[string]string{"from": "2026-01-01"})
	if err != nil || p["from"] != "2026-01-01" || p["to"] != "2105-12-31" {
		t.Errorf("Bind fills defaults: got %v, %v", p, err)
	}
	top, _ := queries.Get("top_contracts")
	if _, err := top.Bind(map[string]string{"limit": "-1"}); !errors.Is(err, queries.ErrInput) {
		t.Errorf("limit -1: %v", err)
	}
}

// TestRunFormats renders saved queries in every format against golden
// files: the CLI's output is a contract too.
func TestRunFormats(t *testing.T) {
	ctx := context.Background()
	conn := open(t)
	write(t, conn, querytest.Chain(0, 40, 1))
	days := map[string]string{"from": "2025-11-29", "to": "2025-12-02"}
	for _, f := range queries.Formats {
		var buf bytes.Buffer
		if err := queries.Run(ctx, conn, "daily_activity", days, f, &buf); err != nil {
			t.Fatal(err)
		}
		golden(t, "daily_activity."+f, buf.Bytes())
	}
	// NULLs, floats and big integers.
	var buf bytes.Buffer
	if err := queries.Run(ctx, conn, "monthly_growth", nil, "json", &buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "monthly_growth.json", buf.Bytes())
	buf.Reset()
	if err := queries.Run(ctx, conn, "daily_fees", days, "tsv", &buf); err != nil {
		t.Fatal(err)
	}
	golden(t, "daily_fees.tsv", buf.Bytes())
	// An empty result still has its header.
	buf.Reset()
	if err := queries.Run(ctx, conn, "daily_activity", map[string]string{"from": "2030-01-01", "to": "2030-01-31"}, "csv", &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "day,complete,blocks,") {
		t.Errorf("empty CSV = %q, want a header", buf.String())
	}

	for _, tc := range []struct{ name, format string }{{"nope", "csv"}, {"daily_activity", "xml"}} {
		if err := queries.Run(ctx, conn, tc.name, nil, tc.format, &buf); !errors.Is(err, queries.ErrInput) {
			t.Errorf("Run(%s, %s) = %v, want ErrInput", tc.name, tc.format, err)
		}
	}
}
