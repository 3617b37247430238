package schema

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// The embedded engine's table settings (TuneEmbedded), and the tables'
// definitions they are checked against.
var (
	//go:embed embedded/tuning.sql
	embeddedTuning string
	//go:embed embedded/tuned.sql
	embeddedTuned string
)

var (
	alterSetting = regexp.MustCompile(`(?is)^\s*ALTER\s+TABLE\s+(\w+)\s+MODIFY\s+SETTING\s+(.+?)\s*$`)
	settingValue = regexp.MustCompile(`^\s*(\w+)\s*=\s*(.+?)\s*$`)
)

// TuneEmbedded applies embedded/tuning.sql, the embedded engine's settings
// for loading, to a migrated database, one setting at a time and each at
// most once per table: a setting a table's definition already names (set
// by an earlier run, or by hand since) keeps its value, and a setting
// added to the file later still reaches tables tuned before it. A setting
// the engine does not know is skipped, the others applied; the error
// returned then names it and is UNKNOWN_SETTING.
func TuneEmbedded(ctx context.Context, db DB) error {
	var tables []struct {
		Name string `ch:"name"`
		DDL  string `ch:"create_table_query"`
	}
	if err := db.Select(ctx, &tables, embeddedTuned); err != nil {
		return fmt.Errorf("reading the embedded engine's table settings: %w", err)
	}
	ddl := map[string]string{}
	for _, t := range tables {
		ddl[t.Name] = t.DDL
	}
	var unknown []error
	for _, stmt := range SplitStatements(embeddedTuning) {
		m := alterSetting.FindStringSubmatch(stmt)
		if m == nil {
			return fmt.Errorf("embedded/tuning.sql: %.40q is not an ALTER TABLE ... MODIFY SETTING", stmt)
		}
		table, list := m[1], m[2]
		def, ok := ddl[table]
		if !ok {
			return fmt.Errorf("tuning the embedded engine: no table %s", table)
		}
		for _, kv := range splitSettings(list) {
			sm := settingValue.FindStringSubmatch(kv)
			if sm == nil {
				return fmt.Errorf("embedded/tuning.sql: %q is not name = value", kv)
			}
			if names(def, sm[1]) {
				continue
			}
			err := db.Exec(ctx, "ALTER TABLE "+table+" MODIFY SETTING "+sm[1]+" = "+sm[2])
			switch {
			case err == nil:
			case strings.Contains(err.Error(), "UNKNOWN_SETTING"):
				unknown = append(unknown, fmt.Errorf("%s.%s: %w", table, sm[1], err))
			default:
				return fmt.Errorf("tuning the embedded engine's table %s (%s): %w", table, sm[1], err)
			}
		}
	}
	return errors.Join(unknown...)
}

// names reports whether a table definition's SETTINGS clause (its last
// part, as the engine prints it) sets the setting.
func names(ddl, setting string) bool {
	at := strings.LastIndex(ddl, " SETTINGS ")
	if at < 0 {
		return false
	}
	return regexp.MustCompile(`\b` + regexp.QuoteMeta(setting) + `\s*=`).MatchString(ddl[at:])
}

// splitSettings splits "a = 1, b = 'x, y'" at the commas outside quotes.
func splitSettings(list string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(list); i++ {
		switch c := list[i]; {
		case c == '\\' && quoted:
			i++
		case c == '\'':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, list[start:i])
			start = i + 1
		}
	}
	return append(out, list[start:])
}
