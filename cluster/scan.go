package cluster

import "github.com/ethidx/ethidx/sqltext"

// scanner reads a statement's tokens (sqltext.Tokens) in order: the
// rewrite finds each clause by its words, never in a string, a quoted
// name or a comment.
type scanner struct {
	s    string
	toks []sqltext.Token
	i    int // the next token
}

func scan(s string) *scanner { return &scanner{s: s, toks: sqltext.Tokens(s)} }

// words consumes the bare words kws (any case) if they come next.
func (p *scanner) words(kws ...string) bool {
	if p.i+len(kws) > len(p.toks) {
		return false
	}
	for j, kw := range kws {
		if !p.toks[p.i+j].Is(kw) {
			return false
		}
	}
	p.i += len(kws)
	return true
}

// optional consumes the words kws if they come next and returns them as
// written, with the blanks after them ("IF NOT EXISTS "); "" otherwise.
func (p *scanner) optional(kws ...string) string {
	at := p.i
	if !p.words(kws...) {
		return ""
	}
	return p.s[p.toks[at].Start:p.offset(p.i)]
}

// next consumes the next token.
func (p *scanner) next() (sqltext.Token, bool) {
	if p.i == len(p.toks) {
		return sqltext.Token{}, false
	}
	p.i++
	return p.toks[p.i-1], true
}

// punct consumes the punctuation c if it comes next.
func (p *scanner) punct(c string) bool {
	if p.i < len(p.toks) && !p.toks[p.i].Quoted && p.toks[p.i].Text == c {
		p.i++
		return true
	}
	return false
}

// group consumes a parenthesised group if one comes next, and returns
// its span, parentheses included.
func (p *scanner) group() ([2]int, bool) {
	if p.i == len(p.toks) || p.toks[p.i].Quoted || p.toks[p.i].Text != "(" {
		return [2]int{}, false
	}
	open := p.toks[p.i]
	for j := p.i + 1; j < len(p.toks); j++ {
		if t := p.toks[j]; t.Depth == open.Depth && !t.Quoted && t.Text == ")" {
			p.i = j + 1
			return [2]int{open.Start, t.End}, true
		}
	}
	return [2]int{}, false
}

// offset is where token i starts (the text's end after the last token).
func (p *scanner) offset(i int) int {
	if i < len(p.toks) {
		return p.toks[i].Start
	}
	return len(p.s)
}

// name is a table's (or view's) name in a statement: db.t or t, each
// part bare or quoted.
type name struct {
	qual       string // the qualifier as written with its dot ("eth."), or ""
	db         string // the qualifier, unquoted
	text       string // the name as written
	table      string // the name, unquoted (the key of Tables)
	quoted     bool
	start, end int // the name's span, qualifier left out
}

// name consumes a name, qualified or not, if one comes next.
func (p *scanner) name() (name, bool) {
	first, ok := p.nameAt(p.i)
	if !ok {
		return name{}, false
	}
	if p.i+1 < len(p.toks) && !p.toks[p.i+1].Quoted && p.toks[p.i+1].Text == "." {
		n, ok := p.nameAt(p.i + 2)
		if !ok {
			return name{}, false
		}
		n.db, n.qual = first.table, p.s[first.start:n.start]
		p.i += 3
		return n, true
	}
	p.i++
	return first, true
}

func (p *scanner) nameAt(i int) (name, bool) {
	if i >= len(p.toks) {
		return name{}, false
	}
	t := p.toks[i]
	bare, ok := t.Name()
	if !ok {
		return name{}, false
	}
	return name{text: t.Text, table: bare, quoted: t.Quoted, start: t.Start, end: t.End}, true
}

// written is the name as written, with its qualifier.
func (n name) written() string { return n.qual + n.text }

// local is the name of the table's shard-local part, written as the name
// was (quoted if it was).
func (n name) local() string {
	if n.quoted {
		return sqltext.QuoteIdent(n.table + LocalSuffix)
	}
	return n.text + LocalSuffix
}
