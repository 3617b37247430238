package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// `ethidx version` and `ethidx --version` print the same four lines and
// exit 0, with the engine missing too.
func TestVersion(t *testing.T) {
	t.Parallel()
	want := regexp.MustCompile(`^ethidx \S+\ncommit: \S+.*\ngo:     ` + regexp.QuoteMeta(runtime.Version()) + ` \S+\nengine: .+\n$`)
	var outs []string
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, code := run(t, time.Minute, args...)
		if code != 0 || !want.MatchString(out) {
			t.Errorf("ethidx %v: exit %d, output:\n%s", args, code, out)
		}
		outs = append(outs, out)
	}
	if outs[0] != outs[1] {
		t.Errorf("version and --version differ:\n%s\n%s", outs[0], outs[1])
	}
	out, code := runEnv(t, time.Minute, []string{"ETHIDX_LIBCHDB=/nonexistent/libchdb.so"}, "version")
	if code != 0 || !strings.Contains(out, "engine: ETHIDX_LIBCHDB=/nonexistent/libchdb.so") {
		t.Errorf("version without the engine: exit %d, want 0 naming the missing library; output:\n%s", code, out)
	}
}

// No line of any command's help ends in a space.
func TestHelpHasNoTrailingSpaces(t *testing.T) {
	t.Parallel()
	cmds := [][]string{{}}
	for _, c := range newApp().Commands {
		cmds = append(cmds, []string{c.Name})
		for _, s := range c.Subcommands {
			cmds = append(cmds, []string{c.Name, s.Name})
		}
	}
	for _, c := range cmds {
		out, code := run(t, time.Minute, append(c, "--help")...)
		if code != 0 || !strings.Contains(out, "USAGE:") {
			t.Errorf("ethidx %v --help: exit %d, output:\n%s", c, code, out)
		}
		for i, line := range strings.Split(out, "\n") {
			if strings.TrimRight(line, " \t") != line {
				t.Errorf("ethidx %v --help, line %d ends in a space: %q", c, i+1, line)
			}
		}
	}
}

// The bash completion script, loaded into a real bash, completes commands
// and a command's flags by asking ethidx itself.
func TestBashCompletion(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatal("bash is needed:", err)
	}
	script, code := run(t, time.Minute, "completion", "bash")
	if code != 0 {
		t.Fatalf("completion bash: exit %d: %s", code, script)
	}
	complete := func(words ...string) string {
		t.Helper()
		prog := script + `
COMP_WORDS=(` + strings.Join(words, " ") + `)
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_ethidx_complete
printf '%s\n' "${COMPREPLY[@]}"`
		cmd := exec.Command("bash", "-c", prog)
		// The script runs `ethidx`: this test's one, first on PATH.
		cmd.Env = []string{"PATH=" + filepath.Dir(ethidxBin) + ":/usr/bin:/bin"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("completing %v: %v\n%s", words, err, out)
		}
		return string(out)
	}
	if got := complete("ethidx", "rep"); got != "report\n" {
		t.Errorf("ethidx rep<TAB> = %q, want report", got)
	}
	if got := complete("ethidx", "report", "--ch"); got != "--chart\n" {
		t.Errorf("ethidx report --ch<TAB> = %q, want --chart", got)
	}
	zsh, code := run(t, time.Minute, "completion", "zsh")
	if code != 0 || !strings.HasPrefix(zsh, "#compdef ethidx\n") || !strings.Contains(zsh, "--generate-bash-completion") {
		t.Errorf("completion zsh: exit %d, output:\n%s", code, zsh)
	}
}
