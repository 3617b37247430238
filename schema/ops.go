package schema

import (
	"fmt"
	"strings"
)

// Op returns the statements of a named operational query in schema/ops
// (the writer's rewind, progress reads); the names are fixed at build time.
func Op(name string) []string {
	body, err := files.ReadFile("ops/" + name + ".sql")
	if err != nil {
		panic(fmt.Sprintf("schema: no op %q", name)) // a typo in a constant name; caught by tests
	}
	return SplitStatements(string(body))
}

// OpQuery returns a named op that is a single statement.
func OpQuery(name string) string {
	s := Op(name)
	if len(s) != 1 {
		panic(fmt.Sprintf("schema: op %q has %d statements, want 1", name, len(s)))
	}
	return strings.TrimSpace(s[0])
}
