package sqltext

import "strings"

// Qualify returns sql with database (quoted unless ValidIdent) and a dot
// written before every bare name that sql reads or creates as a table and
// that known accepts: the name after FROM or JOIN, or after TABLE or VIEW
// (and IF NOT EXISTS). Names already qualified (followed by a dot), quoted
// names, and anything in strings and comments are left as they are.
func Qualify(sql, database string, known func(name string) bool) string {
	db := database
	if !ValidIdent(db) {
		db = QuoteIdent(db)
	}
	toks := tokens(sql)
	var b strings.Builder
	pos := 0
	for i := 0; i < len(toks); i++ {
		switch {
		case isKeyword(toks[i], "FROM"), isKeyword(toks[i], "JOIN"):
		case isKeyword(toks[i], "TABLE"), isKeyword(toks[i], "VIEW"):
			if i+3 < len(toks) && isKeyword(toks[i+1], "IF") && isKeyword(toks[i+2], "NOT") && isKeyword(toks[i+3], "EXISTS") {
				i += 3
			}
		default:
			continue
		}
		if i+1 >= len(toks) {
			break
		}
		name := toks[i+1]
		if name.quoted || !isWordByte(name.text[0]) || !known(name.text) || i+2 < len(toks) && toks[i+2].text == "." {
			continue
		}
		b.WriteString(sql[pos:name.start])
		b.WriteString(db + ".")
		pos = name.start
	}
	b.WriteString(sql[pos:])
	return b.String()
}

// tokens is every token of sql, in order.
func tokens(sql string) []token {
	l := lexer{s: sql}
	var toks []token
	for {
		t, ok := l.next()
		if !ok {
			return toks
		}
		toks = append(toks, t)
	}
}
