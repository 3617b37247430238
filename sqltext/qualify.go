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
	toks := Tokens(sql)
	var b strings.Builder
	pos := 0
	for i := 0; i < len(toks); i++ {
		switch {
		case toks[i].Is("FROM"), toks[i].Is("JOIN"):
		case toks[i].Is("TABLE"), toks[i].Is("VIEW"):
			if i+3 < len(toks) && toks[i+1].Is("IF") && toks[i+2].Is("NOT") && toks[i+3].Is("EXISTS") {
				i += 3
			}
		default:
			continue
		}
		if i+1 >= len(toks) {
			break
		}
		name := toks[i+1]
		if name.Quoted || !isWordByte(name.Text[0]) || !known(name.Text) || i+2 < len(toks) && toks[i+2].Text == "." {
			continue
		}
		b.WriteString(sql[pos:name.Start])
		b.WriteString(db + ".")
		pos = name.Start
	}
	b.WriteString(sql[pos:])
	return b.String()
}
