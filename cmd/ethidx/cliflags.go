package main

// The generic workarounds for urfave/cli, apart from the list of flags
// (flags.go), as go-ethereum keeps internal/flags apart from cmd/utils:
// fresh copies of a flag for each flag set, the environment read by
// ethidx rather than by urfave/cli (so a flag before the command, or on
// the command line at all, beats it), help that names the environment
// variables anyway, and the arguments of query and sql moved after their
// flags.

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// hiddenAlias is an old spelling of a flag, still accepted but not shown.
func hiddenAlias(name, of string) cli.Flag {
	return &cli.StringFlag{Name: name, Usage: "old spelling of --" + of, Hidden: true}
}

// aliased reads flag name, or its old spelling when only that was given.
func aliased(c *cli.Context, name, old string) (string, bool) {
	if !c.IsSet(name) && c.IsSet(old) {
		return c.String(old), true
	}
	return c.String(name), c.IsSet(name)
}

// groups returns fresh copies of the shared flags of the given categories
// (a flag keeps parse state, so no two flag sets share one).
func groups(cats ...string) []cli.Flag {
	var fs []cli.Flag
	for _, sf := range sharedFlags {
		if slices.Contains(cats, category(sf.flag)) {
			fs = append(fs, cloneFlag(sf.flag))
		}
	}
	return fs
}

// shared returns fresh copies of the named shared flags.
func shared(names ...string) []cli.Flag {
	var fs []cli.Flag
	for _, name := range names {
		sf := lookupShared(name)
		if sf == nil {
			panic("no shared flag " + name)
		}
		fs = append(fs, cloneFlag(sf.flag))
	}
	return fs
}

// own returns fresh copies of command flags (those of no group).
func own(flags ...cli.Flag) []cli.Flag {
	fs := make([]cli.Flag, len(flags))
	for i, f := range flags {
		fs[i] = cloneFlag(f)
	}
	return fs
}

func lookupShared(name string) *sharedFlag {
	for i := range sharedFlags {
		if sharedFlags[i].flag.Names()[0] == name {
			return &sharedFlags[i]
		}
	}
	return nil
}

// sharedOf is the shared flag that f is a copy of, or nil for a command's
// own flag (which may have the same name, like devnet's hidden --http-addr).
func sharedOf(f cli.Flag) *sharedFlag {
	sf := lookupShared(f.Names()[0])
	if sf == nil || category(sf.flag) != category(f) {
		return nil
	}
	return sf
}

func category(f cli.Flag) string {
	if cf, ok := f.(cli.CategorizableFlag); ok {
		return cf.GetCategory()
	}
	return ""
}

func cloneFlag(f cli.Flag) cli.Flag { return copyWithEnv(f, nil) }

// copyWithEnv copies f; env, when not nil, replaces its environment
// variables.
func copyWithEnv(f cli.Flag, env []string) cli.Flag {
	switch f := f.(type) {
	case *cli.StringFlag:
		c := *f
		if env != nil {
			c.EnvVars = env
		}
		return &c
	case *cli.StringSliceFlag:
		c := *f
		if env != nil {
			c.EnvVars = env
		}
		return &c
	case *cli.BoolFlag:
		c := *f
		if env != nil {
			c.EnvVars = env
		}
		return &c
	case *cli.IntFlag:
		c := *f
		if env != nil {
			c.EnvVars = env
		}
		return &c
	case *cli.Uint64Flag:
		c := *f
		if env != nil {
			c.EnvVars = env
		}
		return &c
	case *cli.Float64Flag:
		c := *f
		if env != nil {
			c.EnvVars = env
		}
		return &c
	case *cli.DurationFlag:
		c := *f
		if env != nil {
			c.EnvVars = env
		}
		return &c
	}
	panic(fmt.Sprintf("copyWithEnv: %T", f))
}

// The help of a shared flag names its environment variables, as it would
// if urfave/cli read them itself: the help is drawn from a copy that has
// them (resolveFlags reads them, so that the command line always wins).
func init() {
	stringify := cli.FlagStringer
	cli.FlagStringer = func(f cli.Flag) string {
		if sf := sharedOf(f); sf != nil && len(sf.env) > 0 {
			f = copyWithEnv(f, sf.env)
		}
		return stringify(f)
	}
}

// resolveFlags gives each shared flag of the running command its value:
// the command line after the command, else the command line before it
// (go-ethereum's MigrateGlobalFlags: urfave/cli would otherwise give the
// command its own default), else the environment, else the default. It
// then sets up logging and checks every value, so bad input exits 2
// before any work.
func resolveFlags(c *cli.Context) error {
	for _, f := range c.Command.Flags {
		sf := sharedOf(f)
		if sf == nil {
			continue
		}
		name := f.Names()[0]
		if c.IsSet(name) {
			continue
		}
		if err := copyFromParent(c, f, name); err != nil {
			return err
		}
		if c.IsSet(name) {
			continue
		}
		for _, env := range sf.env {
			v, ok := os.LookupEnv(env)
			if !ok {
				continue
			}
			if err := setFlag(c, f, name, v); err != nil {
				return badInput("$%s: %v", env, err)
			}
			c.App.Metadata[envKey(name)] = env
			break
		}
	}
	if err := setupLogging(c); err != nil {
		return err
	}
	for _, f := range c.Command.Flags {
		if sf := sharedOf(f); sf != nil && sf.check != nil {
			if err := sf.check(c, f.Names()[0]); err != nil {
				return err
			}
		}
	}
	return nil
}

// copyFromParent copies the value a parent context (the app, or a command
// holding subcommands) was given on the command line.
func copyFromParent(c *cli.Context, f cli.Flag, name string) error {
	for _, p := range c.Lineage()[1:] {
		if !p.IsSet(name) {
			continue
		}
		if _, ok := f.(*cli.StringSliceFlag); ok {
			for _, v := range p.StringSlice(name) {
				if err := c.Set(name, v); err != nil {
					return badInput("--%s: %v", name, err)
				}
			}
			return nil
		}
		if err := c.Set(name, fmt.Sprint(p.Value(name))); err != nil {
			return badInput("--%s: %v", name, err)
		}
		return nil
	}
	return nil
}

// setFlag sets a flag from an environment variable's text; lists are
// comma-separated.
func setFlag(c *cli.Context, f cli.Flag, name, v string) error {
	if _, ok := f.(*cli.StringSliceFlag); ok {
		for _, part := range strings.Split(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				if err := c.Set(name, part); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if _, ok := f.(*cli.BoolFlag); ok && v == "" {
		return nil
	}
	return c.Set(name, v)
}

// prepareCommands makes every command resolve its shared flags before it
// runs, turn its flag errors into exit 2, and refuse an unknown
// subcommand.
func prepareCommands(cmds []*cli.Command) {
	for _, cmd := range cmds {
		cmd.OnUsageError = commandUsageError
		if len(cmd.Subcommands) > 0 {
			prepareCommands(cmd.Subcommands)
			if cmd.Action == nil {
				cmd.Action = unknownCommand
			}
			continue
		}
		before := cmd.Before
		cmd.Before = func(c *cli.Context) error {
			if err := resolveFlags(c); err != nil {
				return err
			}
			if before != nil {
				return before(c)
			}
			return nil
		}
	}
}

// unknownCommand runs when no subcommand of a command matched: help when
// none was given, exit 2 for a misspelt one.
func unknownCommand(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowSubcommandHelp(c)
	}
	name := "ethidx " + c.Command.Name
	return badInput("%s: unknown command %q; `%s --help` lists them", name, c.Args().First(), name)
}

// unknownAppCommand is unknownCommand for the app's commands.
func unknownAppCommand(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	return badInput("unknown command %q; `ethidx --help` lists them", c.Args().First())
}

// fromEnv reports whether shared flag name got its value from the
// environment rather than the command line.
func fromEnv(c *cli.Context, name string) bool {
	_, ok := c.App.Metadata[envKey(name)]
	return ok
}

func envKey(name string) string { return "env:" + name }

// namesLast lets `ethidx query NAME --from-date D` and `ethidx sql "SQL"
// --format csv` work as documented: urfave/cli stops reading flags at the
// first argument, so the arguments of those commands move after their
// flags.
func namesLast(args []string) []string {
	app := newApp()
	takesValue := func(flags []cli.Flag, a string) bool {
		if strings.Contains(a, "=") {
			return false
		}
		name := strings.TrimLeft(a, "-")
		for _, f := range flags {
			if slices.Contains(f.Names(), name) {
				dg, ok := f.(cli.DocGenerationFlag)
				return ok && dg.TakesValue()
			}
		}
		return false
	}
	out := append([]string(nil), args...)
	for i := 1; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") {
			if takesValue(app.Flags, a) {
				i++ // skip the flag's value
			}
			continue
		}
		if a != "query" && a != "sql" {
			break // the first non-flag is the command
		}
		cmd := app.Command(a)
		var flags, positional []string
		j := i + 1
		for ; j < len(out) && out[j] != "--"; j++ {
			switch b := out[j]; {
			case strings.HasPrefix(b, "-"):
				flags = append(flags, b)
				if takesValue(cmd.Flags, b) && j+1 < len(out) {
					j++
					flags = append(flags, out[j])
				}
			default:
				positional = append(positional, b)
			}
		}
		rest := append(append(flags, positional...), out[j:]...)
		return append(out[:i+1], rest...)
	}
	return out
}
