package main

import (
	"fmt"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/ethidx/ethidx/indexer/chdb"
)

func engineCommand() *cli.Command {
	return &cli.Command{
		Name:  "engine",
		Usage: "manage the embedded ClickHouse engine",
		Subcommands: []*cli.Command{{
			Name:      "install",
			UsageText: "ethidx engine install",
			Flags:     groups(catLogging),
			Usage:     "fetch the embedded engine (libchdb.so) into the user cache and print its path",
			Description: "Downloads chDB's libchdb.so (ClickHouse " + chdb.LibraryVersion + ") from the npm registry with\n" +
				"`npm pack`, verifies it and caches it; a second run costs nothing. Set\n" +
				"ETHIDX_LIBCHDB=/path/libchdb.so to use a copy you already have.",
			Action: func(c *cli.Context) error {
				path, err := chdb.Install(c.Context, slog.Default())
				if err != nil {
					return err
				}
				fmt.Println(path)
				return nil
			},
		}},
	}
}
