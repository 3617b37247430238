package schema

import (
	"strings"
	"testing"
)

func TestMigrationsParse(t *testing.T) {
	ms := Migrations()
	if len(ms) < 3 {
		t.Fatalf("got %d migrations, want at least 3", len(ms))
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %d has version %d: versions must be 1..n with no gap", i, m.Version)
		}
		for _, s := range m.Statements {
			if strings.HasSuffix(strings.TrimSpace(s), ";") {
				t.Errorf("%s: statement keeps its semicolon", m.Name)
			}
		}
	}
}

func TestSplitStatements(t *testing.T) {
	got := SplitStatements("-- header\nCREATE TABLE a (x UInt8);\n\n-- b\nCREATE VIEW b AS\nSELECT 1;\ntrailing")
	want := []string{"CREATE TABLE a (x UInt8)", "-- b\nCREATE VIEW b AS\nSELECT 1", "trailing"}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("statement %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// The newest definition of each view is the last one the migrations give.
func TestNewestViews(t *testing.T) {
	views := NewestViews()
	byName := map[string]string{}
	for _, v := range views {
		name := viewName.FindStringSubmatch(v)[1]
		if byName[name] != "" {
			t.Errorf("view %s listed twice", name)
		}
		byName[name] = v
	}
	if len(views) < 4 {
		t.Fatalf("%d views, want the four hex views at least", len(views))
	}
	if !strings.Contains(byName["transactions_hex"], "y_parity") {
		t.Error("transactions_hex is not 0006's definition (with the signature)")
	}
	if !strings.Contains(byName["blocks_hex"], "number = 1") {
		t.Error("blocks_hex is not 0005's definition (the genesis rule)")
	}
}
