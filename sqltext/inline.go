package sqltext

import (
	"fmt"
	"strings"
)

// Inline returns sql with every call of a parameterized view that views
// knows, `FROM v(p = expr, ...)` or `JOIN v(...)`, replaced by the view's
// own query as a subquery, its parameters {p:Type} replaced by the
// arguments (CAST((expr) AS Type), or the caller's own parameter as it
// is when the argument is one of the same type), and its own calls
// inlined in turn. An alias after the call stays on the subquery.
//
// Why: the engine caches a scalar subquery's value by a hash of its
// tree, and a tree that calls a parameterized view hashes differently at
// each place the analyzer expands it, so a view whose constants read
// another view evaluated that view again at every use (98 evaluations
// for one read of _daily). Inlined, the subquery reads only tables and is
// evaluated once.
//
// views returns a view's query (what follows AS in its CREATE VIEW); it
// reports false for names that are not parameterized views to inline.
func Inline(sql string, views func(name string) (query string, ok bool)) (string, error) {
	return inline(sql, views, 0)
}

const maxInlineDepth = 16

func inline(sql string, views func(string) (string, bool), depth int) (string, error) {
	toks := Tokens(sql)
	var b strings.Builder
	pos := 0
	for i := 0; i+2 < len(toks); i++ {
		if !toks[i].Is("FROM") && !toks[i].Is("JOIN") {
			continue
		}
		name, open := toks[i+1], toks[i+2]
		if name.Quoted || !isWordByte(name.Text[0]) || open.Text != "(" || open.Start != name.End {
			continue
		}
		query, ok := views(name.Text)
		if !ok {
			continue
		}
		if depth >= maxInlineDepth {
			return "", fmt.Errorf("inlining %s: views call each other more than %d deep", name.Text, maxInlineDepth)
		}
		closing := matching(toks, i+2)
		if closing < 0 {
			return "", fmt.Errorf("inlining %s: no closing parenthesis", name.Text)
		}
		args, err := viewArgs(sql, toks[i+3:closing], open.Depth+1)
		if err != nil {
			return "", fmt.Errorf("inlining %s: %w", name.Text, err)
		}
		body, err := bindParams(query, args)
		if err != nil {
			return "", fmt.Errorf("inlining %s: %w", name.Text, err)
		}
		if body, err = inline(body, views, depth+1); err != nil {
			return "", err
		}
		b.WriteString(sql[pos:name.Start])
		// The newline ends a line comment the query may end with.
		b.WriteString("(\n" + strings.TrimRight(strings.TrimSpace(body), ";") + "\n)")
		pos = toks[closing].End
		i = closing
	}
	b.WriteString(sql[pos:])
	return b.String(), nil
}

// matching is the index of the token closing the parenthesis at toks[open].
func matching(toks []Token, open int) int {
	for j := open + 1; j < len(toks); j++ {
		if (toks[j].Text == ")" || toks[j].Text == "]") && !toks[j].Quoted && toks[j].Depth == toks[open].Depth {
			return j
		}
	}
	return -1
}

// viewArgs reads `p = expr, ...` (the tokens between a call's
// parentheses, at depth) into p -> expr's text.
func viewArgs(sql string, toks []Token, depth int) (map[string]string, error) {
	args := map[string]string{}
	for len(toks) > 0 {
		end := len(toks)
		for j, t := range toks {
			if t.Text == "," && !t.Quoted && t.Depth == depth {
				end = j
				break
			}
		}
		arg := toks[:end]
		if len(arg) < 3 || arg[0].Quoted || arg[1].Text != "=" {
			return nil, fmt.Errorf("argument %q is not name = value", sql[arg[0].Start:arg[len(arg)-1].End])
		}
		args[arg[0].Text] = sql[arg[2].Start:arg[len(arg)-1].End]
		if end == len(toks) {
			break
		}
		toks = toks[end+1:]
	}
	return args, nil
}

// bindParams replaces each query parameter {p:Type} of query by args[p].
func bindParams(query string, args map[string]string) (string, error) {
	toks := Tokens(query)
	var b strings.Builder
	pos := 0
	for i := 0; i+3 < len(toks); i++ {
		if toks[i].Text != "{" || toks[i].Quoted || toks[i+2].Text != ":" {
			continue
		}
		end := -1
		for j := i + 3; j < len(toks); j++ {
			if toks[j].Text == "}" && !toks[j].Quoted {
				end = j
				break
			}
		}
		if end < 0 {
			return "", fmt.Errorf("unterminated parameter at %q", query[toks[i].Start:])
		}
		name, typ := toks[i+1].Text, strings.TrimSpace(query[toks[i+2].End:toks[end].Start])
		arg, ok := args[name]
		if !ok {
			return "", fmt.Errorf("no value for parameter %s", name)
		}
		b.WriteString(query[pos:toks[i].Start])
		if isParam(arg, typ) {
			b.WriteString(arg)
		} else {
			b.WriteString("CAST((" + arg + ") AS " + typ + ")")
		}
		pos = toks[end].End
		i = end
	}
	b.WriteString(query[pos:])
	return b.String(), nil
}

// isParam reports whether s is exactly one query parameter of type typ.
func isParam(s, typ string) bool {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") || strings.Count(s, "{") != 1 {
		return false
	}
	_, t, ok := strings.Cut(s[1:len(s)-1], ":")
	return ok && strings.TrimSpace(t) == typ
}

// ViewQuery splits `CREATE [OR REPLACE] VIEW name AS query` into the
// view's name and its query; ok is false for any other statement.
func ViewQuery(stmt string) (name, query string, ok bool) {
	toks := Tokens(stmt)
	i := 0
	for _, kw := range []string{"CREATE", "OR", "REPLACE", "VIEW"} {
		if i < len(toks) && toks[i].Is(kw) {
			i++
		} else if kw != "OR" && kw != "REPLACE" {
			return "", "", false
		}
	}
	if i+1 >= len(toks) || !toks[i+1].Is("AS") {
		return "", "", false
	}
	if name, ok = toks[i].Name(); !ok {
		return "", "", false
	}
	return name, stmt[toks[i+1].End:], true
}

// HasParams reports whether sql has a query parameter, {name:Type}.
func HasParams(sql string) bool {
	toks := Tokens(sql)
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].Text == "{" && !toks[i].Quoted && toks[i+2].Text == ":" {
			return true
		}
	}
	return false
}
