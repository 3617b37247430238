package main

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/chdb"
)

// version is the release and commit the commit, set at build time with
// -ldflags "-X main.version=v1.2.3 -X main.commit=abc123" (the Makefile
// sets commit); unset, what go recorded in the binary: the module version
// of a tagged `go install`, else "devel", and vcs.revision.
var version, commit string

// buildVersion returns the release, the commit and whether the tree it
// was built from had uncommitted changes.
func buildVersion() (v, rev string, modified bool) {
	v, rev = version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && rev == "":
				rev = s.Value
			case s.Key == "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if v == "" {
		v = "devel"
	}
	if rev == "" {
		rev = "unknown"
	}
	return v, rev, modified
}

// shortVersion is the one line `ethidx --help` shows.
func shortVersion() string {
	v, rev, _ := buildVersion()
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return v + " (commit " + rev + ")"
}

// versionInfo is what `ethidx version` and `ethidx --version` print, for
// bug reports and upgrades: the release, the commit it was built from (and
// whether the tree had uncommitted changes), the Go toolchain and the
// embedded engine this binary loads, if one is installed. Nothing here
// loads the engine or fails without it.
func versionInfo() string {
	v, rev, modified := buildVersion()
	if modified {
		rev += " (modified)"
	}
	var engine string
	if p, err := chdb.LibraryPath(); err != nil {
		engine = err.Error()
	} else {
		engine = "chDB libchdb " + chdb.LibraryVersion + " (" + p + ")"
		if os.Getenv(chdb.EnvLibrary) != "" {
			engine = "libchdb at " + p + " (from " + chdb.EnvLibrary + "; ethidx is tested with " + chdb.LibraryVersion + ")"
		}
	}
	return fmt.Sprintf("ethidx %s\ncommit: %s\ngo:     %s %s/%s\nengine: %s\n",
		v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH, engine)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:      "version",
		Usage:     "print the version, commit, Go and engine versions",
		UsageText: "ethidx version",
		Action: func(c *cli.Context) error {
			_, err := io.WriteString(c.App.Writer, versionInfo())
			return err
		},
	}
}

//go:embed completion
var completionScripts embed.FS

func completionCommand() *cli.Command {
	script := func(file string) func(*cli.Context) error {
		return func(c *cli.Context) error {
			b, err := completionScripts.ReadFile("completion/" + file)
			if err != nil {
				return err
			}
			_, err = c.App.Writer.Write(b)
			return err
		}
	}
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash or zsh)",
		UsageText: "ethidx completion bash\nethidx completion zsh",
		Description: "Load one in your shell with `source <(ethidx completion bash)` (or zsh), or save\n" +
			"it as /etc/bash_completion.d/ethidx (zsh: as _ethidx in a folder of $fpath).",
		Subcommands: []*cli.Command{
			{Name: "bash", Usage: "print the bash completion script", UsageText: "ethidx completion bash", Action: script("ethidx.bash")},
			{Name: "zsh", Usage: "print the zsh completion script", UsageText: "ethidx completion zsh", Action: script("ethidx.zsh")},
		},
	}
}

// trailingSpace is the padding urfave/cli's column layout leaves at the
// end of help lines.
var trailingSpace = regexp.MustCompile(`(?m)[ \t]+$`)

// printHelp is urfave/cli's help printer with the trailing spaces of its
// column layout removed, so help can be diffed, grepped and pasted as is.
func printHelp(w io.Writer, templ string, data any) {
	var buf bytes.Buffer
	cli.HelpPrinterCustom(&buf, templ, data, nil)
	w.Write(trailingSpace.ReplaceAll(buf.Bytes(), nil))
}

func init() {
	cli.HelpPrinter = printHelp
	// --version without -v, which would read like --verbose.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version, commit, Go and engine versions"}
	cli.VersionPrinter = func(c *cli.Context) { io.WriteString(c.App.Writer, versionInfo()) }
}
