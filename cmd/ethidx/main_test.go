package main

import (
	"strings"
	"testing"
)

func TestNamesLast(t *testing.T) {
	for in, want := range map[string]string{
		"ethidx query daily_activity --from 2026-01-01":         "ethidx query --from 2026-01-01 daily_activity",
		"ethidx --data-dir d query daily_activity --format csv": "ethidx --data-dir d query --format csv daily_activity",
		"ethidx query --list":                                   "ethidx query --list",
		"ethidx sql SELECT --format json":                       "ethidx sql --format json SELECT",
		"ethidx backfill --from 1 --to 2":                       "ethidx backfill --from 1 --to 2",
		"ethidx --http-addr=x query monthly_growth":             "ethidx --http-addr=x query monthly_growth",
	} {
		if got := strings.Join(namesLast(strings.Fields(in)), " "); got != want {
			t.Errorf("namesLast(%q) = %q, want %q", in, got, want)
		}
	}
}
