package sqltext

import "strings"

var (
	identEscaper  = strings.NewReplacer(`\`, `\\`, "`", "\\`")
	stringEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)
)

// QuoteIdent quotes a name (database, table, column) for ClickHouse SQL
// text: in backquotes, with backslashes and backquotes escaped, so any
// name reads back as itself.
func QuoteIdent(s string) string {
	return "`" + identEscaper.Replace(s) + "`"
}

// QuoteString quotes a string literal for ClickHouse SQL text: in single
// quotes, with backslashes and single quotes escaped.
func QuoteString(s string) string {
	return "'" + stringEscaper.Replace(s) + "'"
}

// ValidIdent reports whether s is a name ClickHouse reads bare, without
// quotes: a letter or underscore, then letters, digits and underscores
// (ASCII only). Names ethidx is given (a database, a cluster, a setting)
// must be such names.
func ValidIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
