package queries

import (
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
)

//go:embed *.sql install/*.sql installed/*.sql
var files embed.FS

// Query is one saved query.
type Query struct {
	Name        string
	Description string
	// Definition is the header's prose: what each column means, exactly.
	Definition string
	Params     []Param
	// View is the view Install creates from SQL: parameterized, called as
	// View(from = '2026-01-01', ...), when the query has parameters.
	View string
	// AllView, if set, is a plain view of the query over its parameters'
	// defaults (every day, every month), for BI tools that cannot pass
	// parameters.
	AllView string
	// AllArgs, if set (header `-- all:`), are the arguments AllView passes
	// to View instead of the parameters' defaults, e.g. a recent range
	// for a query that would otherwise read all history.
	AllArgs string
	// SQL is the body, with {name:Type} placeholders for the parameters.
	SQL string
}

// Param is a query parameter, bound server-side as {Name:Type}.
type Param struct {
	Name        string
	Type        string // ClickHouse type: Date, UInt32, String
	Default     string
	Description string
}

var (
	all    []Query
	byName = map[string]*Query{}
)

func init() {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		panic(err) // constant pattern
	}
	for _, name := range names {
		body, err := files.ReadFile(name)
		if err != nil {
			panic(err) // embedded files are always readable
		}
		q, err := parse(string(body))
		if err != nil {
			panic(fmt.Sprintf("queries/%s: %v", name, err)) // a build defect; every test of the package catches it at init
		}
		if strings.TrimSuffix(name, ".sql") != q.Name {
			panic(fmt.Sprintf("queries/%s: name %q must match the file name", name, q.Name))
		}
		all = append(all, q)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
	for i := range all {
		byName[all[i].Name] = &all[i]
	}
}

// List returns the saved queries sorted by name.
func List() []Query {
	return append([]Query(nil), all...)
}

// Get returns the saved query called name.
func Get(name string) (Query, bool) {
	q, ok := byName[name]
	if !ok {
		return Query{}, false
	}
	return *q, true
}

// The header is the leading comment block: "-- key: value" lines first,
// then free prose (the definition) up to the first line of SQL.
var (
	keyLine   = regexp.MustCompile(`^--\s*([a-z]+):\s*(.*)$`)
	paramSpec = regexp.MustCompile(`^(\w+)\s+(\w+)\s*=\s*(\S+)\s*(?:\((.*)\))?$`)
	viewSpec  = regexp.MustCompile(`^(\w+)(\([^)]*\))?(?:\s*;\s*(\w+)(?:\s*\([^)]*\))?)?$`)
)

func parse(text string) (Query, error) {
	var q Query
	lines := strings.Split(text, "\n")
	i := 0
	for ; i < len(lines); i++ {
		m := keyLine.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			break
		}
		key, val := m[1], strings.TrimSpace(m[2])
		switch key {
		case "name":
			q.Name = val
		case "description":
			q.Description = val
		case "params":
			for _, spec := range splitTop(val) {
				pm := paramSpec.FindStringSubmatch(strings.TrimSpace(spec))
				if pm == nil {
					return q, fmt.Errorf("param %q: want `name Type = default (description)`", spec)
				}
				q.Params = append(q.Params, Param{Name: pm[1], Type: pm[2], Default: pm[3], Description: pm[4]})
			}
		case "all":
			q.AllArgs = val
		case "views":
			vm := viewSpec.FindStringSubmatch(val)
			if vm == nil {
				return q, fmt.Errorf("views %q: want `view(params); all_view (note)`", val)
			}
			q.View, q.AllView = vm[1], vm[3]
		default:
			return q, fmt.Errorf("unknown header key %q", key)
		}
	}
	var def []string
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l != "" && !strings.HasPrefix(l, "--") {
			break
		}
		def = append(def, strings.TrimPrefix(strings.TrimPrefix(l, "--"), " "))
	}
	q.Definition = strings.TrimSpace(strings.Join(def, "\n"))
	q.SQL = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	switch {
	case q.Name == "":
		return q, fmt.Errorf("no `-- name:` header")
	case q.Description == "":
		return q, fmt.Errorf("no `-- description:` header")
	case q.View == "":
		return q, fmt.Errorf("no `-- views:` header")
	case q.SQL == "":
		return q, fmt.Errorf("no SQL after the header")
	case q.AllArgs != "" && q.AllView == "":
		return q, fmt.Errorf("`-- all:` arguments but no all-rows view in `-- views:`")
	case strings.HasSuffix(q.SQL, ";"):
		return q, fmt.Errorf("the body is one statement without a trailing semicolon")
	}
	for _, p := range q.Params {
		if !strings.Contains(q.SQL, "{"+p.Name+":"+p.Type+"}") {
			return q, fmt.Errorf("param %s is not used as {%s:%s}", p.Name, p.Name, p.Type)
		}
	}
	return q, nil
}

// splitTop splits s at commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}
