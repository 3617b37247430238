package sqltext_test

import (
	"testing"

	"github.com/ethidx/ethidx/sqltext"
)

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"eth":     "`eth`",
		"a`b":     "`a\\`b`",
		`a\b`:     "`a\\\\b`",
		"":        "``",
		"x y.z":   "`x y.z`",
		"`":       "`\\``",
		`\` + "`": "`\\\\\\``",
	} {
		if got := sqltext.QuoteIdent(in); got != want {
			t.Errorf("QuoteIdent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuoteString(t *testing.T) {
	for in, want := range map[string]string{
		"abc":  "'abc'",
		"it's": `'it\'s'`,
		`a\b`:  `'a\\b'`,
		"":     "''",
	} {
		if got := sqltext.QuoteString(in); got != want {
			t.Errorf("QuoteString(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidIdent(t *testing.T) {
	for _, s := range []string{"eth", "_x", "A9_b", "max_threads"} {
		if !sqltext.ValidIdent(s) {
			t.Errorf("ValidIdent(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "9eth", "a-b", "a.b", "a b", "é", "a`", "eth\x00"} {
		if sqltext.ValidIdent(s) {
			t.Errorf("ValidIdent(%q) = true, want false", s)
		}
	}
}
