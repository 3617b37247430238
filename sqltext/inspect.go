package sqltext

import (
	"errors"
	"fmt"
	"strings"
)

// Facts are what the lexer can tell about a statement without parsing it:
// every name called like a function (functions, table functions, table
// engines, dictionary sources all look like name(...)), every qualified
// name (db.table), every bare word, the setting names it assigns, and the
// {name:Type} placeholders it declares. Names come back unquoted and in
// lower case: the policy built on them must not depend on how a name was
// spelled, and lower case over-matches rather than under-matches.
type Facts struct {
	// Words are the statement's bare (unquoted) words, lower case, in order.
	Words []string
	// Names are every name, bare or quoted (unquoted), lower case, in order.
	Names []string
	// Quoted are the quoted names (unquoted), as written.
	Quoted []string
	// Calls are names immediately followed by "(" (comments and blanks in
	// between do not matter to the engine, so not here either), and the
	// function a column transformer APPLY names.
	Calls []string
	// Qualified are the "a.b" name pairs, both parts unquoted.
	Qualified [][2]string
	// Engines are the names after ENGINE (or ENGINE =), called or not:
	// `ENGINE = Memory` names an engine without parentheses.
	Engines []string
	// Settings are the names assigned after SET or SETTINGS.
	Settings []string
	// Placeholders maps each {name:Type} to its type, lower case.
	Placeholders map[string]string
}

// ErrAmbiguous is returned by Inspect for text whose tokens this lexer
// cannot be sure to split as the engine does.
var ErrAmbiguous = errors.New("ambiguous statement text")

// Inspect lexes sql and returns its Facts. It refuses, with an error
// wrapping ErrAmbiguous, text the engine might read differently from this
// lexer: an unterminated string, quoted name or comment; a character
// outside ASCII other than inside a string, quoted name or comment (the
// engine's lexer takes some Unicode spaces as blanks and Unicode quotes as
// quotes); and a '$' outside quotes (the engine's heredoc strings,
// $tag$...$tag$, which this lexer does not model); and a backslash in a
// quoted name (the engine decodes escapes there, so `\x66ile` names
// file). None of these occur in
// the SQL of BI tools or of ethidx itself; a guard may refuse them without
// knowing what they would have meant.
func Inspect(sql string) (Facts, error) {
	f := Facts{}
	l := lexer{s: sql}
	var toks []token
	for {
		t, ok := l.next()
		if !ok {
			break
		}
		toks = append(toks, t)
	}
	if err := checkLexical(sql, toks); err != nil {
		return Facts{}, err
	}
	setting := false // after SET or SETTINGS at this depth
	for i, t := range toks {
		name, isName := tokenName(t)
		if !t.quoted && isWordByte(t.text[0]) {
			f.Words = append(f.Words, strings.ToLower(t.text))
		}
		if isName {
			f.Names = append(f.Names, name)
			if t.quoted {
				f.Quoted = append(f.Quoted, unquote(t.text))
			}
		}
		if isKeyword(t, "SET") || isKeyword(t, "SETTINGS") || isKeyword(t, "SETTING") {
			setting = true
		}
		next := func(k int) token {
			if i+k < len(toks) {
				return toks[i+k]
			}
			return token{}
		}
		if !isName {
			continue
		}
		if n := next(1); n.text == "(" && !n.quoted {
			f.Calls = append(f.Calls, name)
		}
		if isKeyword(t, "APPLY") {
			// SELECT * APPLY f, * APPLY(f): f is called on every column.
			k := 1
			if next(k).text == "(" && !next(k).quoted {
				k++
			}
			if fn, ok := tokenName(next(k)); ok {
				f.Calls = append(f.Calls, fn)
			}
		}
		if isKeyword(t, "ENGINE") {
			k := 1
			if next(k).text == "=" && !next(k).quoted {
				k++
			}
			if e, ok := tokenName(next(k)); ok {
				f.Engines = append(f.Engines, e)
			}
		}
		if n := next(1); n.text == "." && !n.quoted {
			if b, ok := tokenName(next(2)); ok {
				f.Qualified = append(f.Qualified, [2]string{name, b})
			}
		}
		if setting {
			// Quoted setting names count: the engine accepts them.
			if n := next(1); n.text == "=" && !n.quoted {
				f.Settings = append(f.Settings, name)
			}
		}
		// {name:Type}
		if prev := tokAt(toks, i-1); prev.text == "{" && !prev.quoted {
			if n := next(1); n.text == ":" {
				if typ, ok := tokenName(next(2)); ok {
					if f.Placeholders == nil {
						f.Placeholders = map[string]string{}
					}
					f.Placeholders[t.text] = typ
				}
			}
		}
	}
	return f, nil
}

func tokAt(toks []token, i int) token {
	if i < 0 || i >= len(toks) {
		return token{}
	}
	return toks[i]
}

// tokenName returns t as a name: a bare word, or a quoted identifier
// ("x" or `x`) with its quotes and escapes removed, in lower case. String
// literals ('x') are not names.
func tokenName(t token) (string, bool) {
	if t.text == "" {
		return "", false
	}
	if !t.quoted {
		if !isWordByte(t.text[0]) {
			return "", false
		}
		return strings.ToLower(t.text), true
	}
	q := t.text[0]
	if q != '"' && q != '`' {
		return "", false
	}
	return strings.ToLower(unquote(t.text)), true
}

// unquote strips a quoted token's quotes and undoes backslash escapes and
// doubled quotes, as the engine reads them.
func unquote(s string) string {
	if len(s) < 2 {
		return ""
	}
	q := s[0]
	body := s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\\' && i+1 < len(body):
			i++
			b.WriteByte(body[i])
		case c == q && i+1 < len(body) && body[i+1] == q:
			i++
			b.WriteByte(q)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// checkLexical enforces Inspect's refusals (see there).
func checkLexical(sql string, toks []token) error {
	// Text between tokens is blanks or comments; an unterminated comment
	// runs to the end of the input.
	pos := 0
	for _, t := range toks {
		if err := checkGap(sql[pos:t.start]); err != nil {
			return err
		}
		pos = t.end
		if t.quoted {
			q := t.text[0]
			if len(t.text) < 2 || t.text[len(t.text)-1] != q || endsEscaped(t.text) {
				return ambiguous("unterminated quoted text at offset %d", t.start)
			}
			if q != '\'' && strings.IndexByte(t.text, '\\') >= 0 {
				// The engine decodes escapes in quoted names (`\x66ile` is
				// file); a name has no need of them.
				return ambiguous("backslash in a quoted name at offset %d", t.start)
			}
			continue
		}
		for i := 0; i < len(t.text); i++ {
			if c := t.text[i]; c >= 0x80 {
				return ambiguous("non-ASCII character outside quotes at offset %d", t.start+i)
			} else if c == '$' {
				return ambiguous("'$' outside quotes at offset %d (dollar-quoted strings are not accepted)", t.start+i)
			}
		}
	}
	return checkGap(sql[pos:])
}

// endsEscaped reports whether a quoted token's closing quote is really an
// escaped quote (the lexer ran to the end of the input).
func endsEscaped(s string) bool {
	n := 0
	for i := len(s) - 2; i >= 1 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// checkGap checks text the lexer skipped: it must be blanks and complete
// comments.
func checkGap(g string) error {
	for len(g) > 0 {
		switch {
		case strings.HasPrefix(g, "/*"):
			depth, i := 0, 0
			for i < len(g) {
				if strings.HasPrefix(g[i:], "/*") {
					depth++
					i += 2
				} else if strings.HasPrefix(g[i:], "*/") {
					depth--
					i += 2
					if depth == 0 {
						break
					}
				} else {
					i++
				}
			}
			if depth != 0 {
				return ambiguous("unterminated comment")
			}
			g = g[i:]
		case strings.HasPrefix(g, "--") || strings.HasPrefix(g, "#"):
			i := strings.IndexByte(g, '\n')
			if i < 0 {
				return nil
			}
			g = g[i+1:]
		case g[0] == ' ' || g[0] == '\t' || g[0] == '\n' || g[0] == '\r' || g[0] == '\f' || g[0] == '\v':
			g = g[1:]
		default:
			return ambiguous("unexpected text %q", g[:min(len(g), 8)])
		}
	}
	return nil
}

func ambiguous(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrAmbiguous, fmt.Sprintf(format, args...))
}

// RenameQualifier returns sql with every name equal to from (unquoted,
// any case) that qualifies another (from.x) replaced by to, written bare.
// Strings, comments and other names are left as they are. The guard uses
// it to read system tables through views that hide the host's paths.
func RenameQualifier(sql, from, to string) string {
	toks := tokens(sql)
	var b strings.Builder
	pos := 0
	for i, t := range toks {
		name, ok := tokenName(t)
		if !ok || name != strings.ToLower(from) || i+1 >= len(toks) || toks[i+1].text != "." || toks[i+1].quoted {
			continue
		}
		b.WriteString(sql[pos:t.start])
		b.WriteString(to)
		pos = t.end
	}
	b.WriteString(sql[pos:])
	return b.String()
}
