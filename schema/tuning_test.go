package schema

import (
	"reflect"
	"testing"
)

func TestSplitSettings(t *testing.T) {
	for in, want := range map[string][]string{
		"a = 1":                               {"a = 1"},
		"a = 1, b = ''":                       {"a = 1", " b = ''"},
		"a = 'x, y', b = 2":                   {"a = 'x, y'", " b = 2"},
		`a = 'it\'s, quoted', b = 'basic, c'`: {`a = 'it\'s, quoted'`, " b = 'basic, c'"},
	} {
		if got := splitSettings(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitSettings(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every statement of embedded/tuning.sql is one TuneEmbedded can apply.
func TestTuningParses(t *testing.T) {
	stmts := SplitStatements(embeddedTuning)
	if len(stmts) == 0 {
		t.Fatal("embedded/tuning.sql has no statements")
	}
	for _, stmt := range stmts {
		m := alterSetting.FindStringSubmatch(stmt)
		if m == nil {
			t.Fatalf("%q is not ALTER TABLE ... MODIFY SETTING", stmt)
		}
		for _, kv := range splitSettings(m[2]) {
			if settingValue.FindStringSubmatch(kv) == nil {
				t.Errorf("%q in %q is not name = value", kv, stmt)
			}
		}
	}
	if !names("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS index_granularity = 8192, merge_selector_base = 10", "merge_selector_base") ||
		names("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a SETTINGS index_granularity = 8192", "granularity") ||
		names("CREATE TABLE t (a UInt8 DEFAULT 1) ENGINE = MergeTree ORDER BY a COMMENT 'merge_selector_base = 3'", "merge_selector_base") {
		t.Error("names matches the wrong settings")
	}
}
