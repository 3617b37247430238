// Package sqltext is ethidx's one toolkit for SQL text: the questions it
// must settle about a statement before the engine sees it, and the quoting
// it needs to write one.
//
// A small lexer that skips strings, quoted names and comments answers the
// questions: is a statement an INSERT carrying data (which must go through
// the streaming insert API, cut into its head and its data; SplitInsert),
// which output format it asks for (which decides whether its output can be
// streamed, and the HTTP response headers; OutputFormat), and which names
// it calls, qualifies and assigns (the host guard's policy; Inspect). The
// same lexer writes the database before the names of ethidx's own tables
// (Qualify), and its tokens are open to the rewrites that must find a
// clause without being fooled by one in a string or comment (Tokens and
// Begins: the cluster form). The engine's parser still decides what the
// statement means.
package sqltext

import "strings"

// Token is one lexical unit of SQL text: a word (keyword, name, number),
// a quoted name or string literal, or a single punctuation byte. Blanks
// and comments lie between tokens and are never part of one, so a word
// in a string, a quoted name or a comment is never taken for a keyword.
type Token struct {
	Text       string // as written, quotes included
	Start, End int    // the token's span in the text
	Depth      int    // brackets around the token; a group's "(" and ")" are outside it
	Quoted     bool   // quoted identifier or string literal
}

// Tokens returns sql's tokens, in order. It never fails: an unterminated
// quote or comment runs to the end of the text.
func Tokens(sql string) []Token {
	l := lexer{s: sql}
	var toks []Token
	for {
		t, ok := l.next()
		if !ok {
			return toks
		}
		toks = append(toks, t)
	}
}

// Begins reports whether sql begins with the bare words kws (any case),
// comments and blanks aside. It reads no further than those words.
func Begins(sql string, kws ...string) bool {
	l := lexer{s: sql}
	for _, kw := range kws {
		if t, ok := l.next(); !ok || !t.Is(kw) {
			return false
		}
	}
	return true
}

// Is reports whether t is the bare (unquoted) word kw, in any case.
func (t Token) Is(kw string) bool {
	return !t.Quoted && strings.EqualFold(t.Text, kw)
}

// Name returns t as a name, as the engine reads it: a bare word as
// written, or a quoted identifier ("x" or `x`) without its quotes and
// escapes. String literals ('x') and punctuation are not names.
func (t Token) Name() (string, bool) {
	switch {
	case t.Text == "":
		return "", false
	case !t.Quoted && isWordByte(t.Text[0]):
		return t.Text, true
	case !t.Quoted:
		return "", false
	}
	if q := t.Text[0]; q != '"' && q != '`' {
		return "", false
	}
	return unquote(t.Text), true
}

// lexer walks s; it never fails: unterminated quotes or comments simply
// run to the end of the input.
type lexer struct {
	s     string
	pos   int
	depth int
	// comments, when not nil, collects the comments skipped, as spans
	// of s (a line comment's span ends after its newline).
	comments *[][2]int
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// next returns the next token, or ok=false at the end of input.
func (l *lexer) next() (t Token, ok bool) {
	s := l.s
	for l.pos < len(s) {
		c := s[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case c == '-' && strings.HasPrefix(s[l.pos:], "--"), c == '#' && strings.HasPrefix(s[l.pos:], "#!") || c == '#' && strings.HasPrefix(s[l.pos:], "# "):
			start := l.pos
			if i := strings.IndexByte(s[l.pos:], '\n'); i >= 0 {
				l.pos += i + 1
			} else {
				l.pos = len(s)
			}
			l.comment(start)
		case c == '/' && strings.HasPrefix(s[l.pos:], "/*"):
			// ClickHouse block comments nest.
			start := l.pos
			depth := 0
			for l.pos < len(s) {
				if strings.HasPrefix(s[l.pos:], "/*") {
					depth++
					l.pos += 2
				} else if strings.HasPrefix(s[l.pos:], "*/") {
					depth--
					l.pos += 2
					if depth == 0 {
						break
					}
				} else {
					l.pos++
				}
			}
			l.comment(start)
		case c == '\'' || c == '"' || c == '`':
			start := l.pos
			l.pos++
			for l.pos < len(s) {
				d := s[l.pos]
				if d == '\\' {
					l.pos += 2
					continue
				}
				l.pos++
				if d == c {
					if l.pos < len(s) && s[l.pos] == c { // doubled quote
						l.pos++
						continue
					}
					break
				}
			}
			l.pos = min(l.pos, len(s))
			return Token{Text: s[start:l.pos], Start: start, End: l.pos, Depth: l.depth, Quoted: true}, true
		case isWordByte(c):
			start := l.pos
			for l.pos < len(s) && isWordByte(s[l.pos]) {
				l.pos++
			}
			return Token{Text: s[start:l.pos], Start: start, End: l.pos, Depth: l.depth}, true
		default:
			if (c == ')' || c == ']') && l.depth > 0 {
				l.depth--
			}
			t := Token{Text: s[l.pos : l.pos+1], Start: l.pos, End: l.pos + 1, Depth: l.depth}
			if c == '(' || c == '[' {
				l.depth++
			}
			l.pos++
			return t, true
		}
	}
	return Token{}, false
}

// HasPhrase reports whether words occur in sql one after the other as
// bare words (any case), not in strings, quoted names or comments.
func HasPhrase(sql string, words ...string) bool {
	toks := Tokens(sql)
	for i := 0; i+len(words) <= len(toks); i++ {
		match := true
		for j, w := range words {
			if !toks[i+j].Is(w) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func (l *lexer) comment(start int) {
	if l.comments != nil {
		*l.comments = append(*l.comments, [2]int{start, l.pos})
	}
}

// Insert is an INSERT statement carrying data, cut where the data begins.
type Insert struct {
	Head   string // "INSERT INTO t (a, b) SETTINGS ..." without FORMAT/VALUES
	Format string // input format; "Values" for VALUES
	Data   int    // offset in the text where the data starts
}

// SplitInsert reports whether sql is an INSERT with inline or following
// data (FORMAT x or VALUES), and where to cut it. INSERT ... SELECT and
// anything else return ok=false and run as ordinary statements.
func SplitInsert(sql string) (ins Insert, ok bool) {
	l := lexer{s: sql}
	first, ok := l.next()
	if !ok || !first.Is("INSERT") {
		return Insert{}, false
	}
	var prev Token
	for {
		t, ok := l.next()
		if !ok {
			return Insert{}, false
		}
		if t.Depth == 0 && !t.Quoted {
			switch {
			case t.Is("SELECT") || t.Is("WITH"):
				// INSERT ... SELECT: data, if any, belongs to input() and
				// follows a FORMAT at the end; keep looking for it.
			case t.Is("VALUES") && !prev.Is("INTO") && !prev.Is("TABLE") && prev.Text != ".":
				return Insert{Head: strings.TrimSpace(sql[:t.Start]), Format: "Values", Data: t.End}, true
			case t.Is("FORMAT"):
				f, ok := l.next()
				if !ok || f.Quoted || !isWordByte(f.Text[0]) {
					return Insert{}, false
				}
				return Insert{Head: strings.TrimSpace(sql[:t.Start]), Format: f.Text, Data: skipToData(sql, f.End)}, true
			}
		}
		prev = t
	}
}

// skipToData skips the blanks after an INSERT's format name up to and
// including the first line break, as ClickHouse does: the data proper may
// start with bytes that look like blanks (binary formats).
func skipToData(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if strings.HasPrefix(s[i:], "\r\n") {
		return i + 2
	}
	if i < len(s) && s[i] == '\n' {
		return i + 1
	}
	return i
}

// OutputFormat returns the format named by the statement's FORMAT clause,
// or "" if it has none. The clause is FORMAT and a name at the top level,
// followed by the end, a semicolon or SETTINGS, so a column called format
// is not mistaken for it. Known names come back in canonical spelling.
func OutputFormat(sql string) string {
	l := lexer{s: sql}
	var prev Token
	format, candidate := "", ""
	for {
		t, ok := l.next()
		if !ok {
			if candidate != "" {
				format = candidate
			}
			return format
		}
		if candidate != "" && (t.Text == ";" || t.Is("SETTINGS")) {
			format = candidate
		}
		candidate = ""
		if prev.Is("FORMAT") && prev.Depth == 0 && !t.Quoted && isWordByte(t.Text[0]) {
			candidate = CanonicalFormat(t.Text)
		}
		prev = t
	}
}

// CanonicalFormat spells a known format name as ClickHouse does; unknown
// names are returned unchanged.
func CanonicalFormat(name string) string {
	if c, ok := knownFormats[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

// NormalizeSpace collapses runs of blanks, for matching fixed statements.
func NormalizeSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
