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
	toks := Tokens(sql)
	if err := checkLexical(sql, toks); err != nil {
		return Facts{}, err
	}
	setting := false // after SET or SETTINGS at this depth
	for i, t := range toks {
		name, isName := tokenName(t)
		if !t.Quoted && isWordByte(t.Text[0]) {
			f.Words = append(f.Words, strings.ToLower(t.Text))
		}
		if isName {
			f.Names = append(f.Names, name)
			if t.Quoted {
				f.Quoted = append(f.Quoted, unquote(t.Text))
			}
		}
		if t.Is("SET") || t.Is("SETTINGS") || t.Is("SETTING") {
			setting = true
		}
		next := func(k int) Token {
			if i+k < len(toks) {
				return toks[i+k]
			}
			return Token{}
		}
		if !isName {
			continue
		}
		if n := next(1); n.Text == "(" && !n.Quoted {
			f.Calls = append(f.Calls, name)
		}
		if t.Is("APPLY") {
			// SELECT * APPLY f, * APPLY(f): f is called on every column.
			k := 1
			if next(k).Text == "(" && !next(k).Quoted {
				k++
			}
			if fn, ok := tokenName(next(k)); ok {
				f.Calls = append(f.Calls, fn)
			}
		}
		if t.Is("ENGINE") {
			k := 1
			if next(k).Text == "=" && !next(k).Quoted {
				k++
			}
			if e, ok := tokenName(next(k)); ok {
				f.Engines = append(f.Engines, e)
			}
		}
		if n := next(1); n.Text == "." && !n.Quoted {
			if b, ok := tokenName(next(2)); ok {
				f.Qualified = append(f.Qualified, [2]string{name, b})
			}
		}
		if setting {
			// Quoted setting names count: the engine accepts them.
			if n := next(1); n.Text == "=" && !n.Quoted {
				f.Settings = append(f.Settings, name)
			}
		}
		// {name:Type}
		if prev := tokAt(toks, i-1); prev.Text == "{" && !prev.Quoted {
			if n := next(1); n.Text == ":" {
				if typ, ok := tokenName(next(2)); ok {
					if f.Placeholders == nil {
						f.Placeholders = map[string]string{}
					}
					f.Placeholders[t.Text] = typ
				}
			}
		}
	}
	return f, nil
}

func tokAt(toks []Token, i int) Token {
	if i < 0 || i >= len(toks) {
		return Token{}
	}
	return toks[i]
}

// tokenName is t.Name in lower case.
func tokenName(t Token) (string, bool) {
	n, ok := t.Name()
	return strings.ToLower(n), ok
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
func checkLexical(sql string, toks []Token) error {
	// Text between tokens is blanks or comments; an unterminated comment
	// runs to the end of the input.
	pos := 0
	for _, t := range toks {
		if err := checkGap(sql[pos:t.Start]); err != nil {
			return err
		}
		pos = t.End
		if t.Quoted {
			q := t.Text[0]
			if len(t.Text) < 2 || t.Text[len(t.Text)-1] != q || endsEscaped(t.Text) {
				return ambiguous("unterminated quoted text at offset %d", t.Start)
			}
			if q != '\'' && strings.IndexByte(t.Text, '\\') >= 0 {
				// The engine decodes escapes in quoted names (`\x66ile` is
				// file); a name has no need of them.
				return ambiguous("backslash in a quoted name at offset %d", t.Start)
			}
			continue
		}
		for i := 0; i < len(t.Text); i++ {
			if c := t.Text[i]; c >= 0x80 {
				return ambiguous("non-ASCII character outside quotes at offset %d", t.Start+i)
			} else if c == '$' {
				return ambiguous("'$' outside quotes at offset %d (dollar-quoted strings are not accepted)", t.Start+i)
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
	toks := Tokens(sql)
	var b strings.Builder
	pos := 0
	for i, t := range toks {
		name, ok := tokenName(t)
		if !ok || name != strings.ToLower(from) || i+1 >= len(toks) || toks[i+1].Text != "." || toks[i+1].Quoted {
			continue
		}
		b.WriteString(sql[pos:t.Start])
		b.WriteString(to)
		pos = t.End
	}
	b.WriteString(sql[pos:])
	return b.String()
}
