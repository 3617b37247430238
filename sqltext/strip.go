package sqltext

import "strings"

// StripComments returns sql without its comments (-- or # to the end of
// the line, and /* ... */, which nest), those in strings and quoted names
// aside, and without the lines they leave empty or the blanks they leave
// at a line's end: the statement as written, minus what the engine
// ignores, so that no comment can hide or fake a clause a rewrite looks
// for.
func StripComments(sql string) string {
	var spans [][2]int
	l := lexer{s: sql, comments: &spans}
	for {
		if _, ok := l.next(); !ok {
			break
		}
	}
	var b strings.Builder
	pos := 0
	for _, c := range spans {
		b.WriteString(sql[pos:c[0]])
		if strings.HasPrefix(sql[c[0]:], "/*") {
			b.WriteByte(' ')
		} else {
			b.WriteByte('\n')
		}
		pos = c[1]
	}
	b.WriteString(sql[pos:])
	var lines []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.TrimSpace(line) != "" {
			lines = append(lines, strings.TrimRight(line, " \t"))
		}
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
