package schema

import (
	"fmt"
	"regexp"
	"strings"
)

// Print returns the whole DDL as one script. With a cluster name it returns
// the cluster variant, generated from the same files: each table becomes a
// Replicated*MergeTree named <table>_local on every node (ON CLUSTER) plus a
// Distributed table under the original name, so queries and views read the
// same names everywhere; materialized views read and write the local tables.
//
// Sharding keys keep re-inserts on the shard that holds the first copy:
// chain tables shard by block number in runs of 10,000 blocks (a batch
// lands on one shard), address tables by address. Address rollups are
// min-aggregates, so a query that groups over the Distributed table merges
// any address seen on several shards exactly.
func Print(cluster string) string {
	var b strings.Builder
	for _, m := range Migrations() {
		fmt.Fprintf(&b, "-- migration %04d_%s\n", m.Version, m.Name)
		for _, stmt := range m.Statements {
			if cluster != "" {
				stmt = clusterize(stmt, cluster)
			}
			b.WriteString(stmt)
			b.WriteString(";\n\n")
		}
	}
	return b.String()
}

var (
	createTable = regexp.MustCompile(`(?s)^CREATE TABLE IF NOT EXISTS (\w+)\s*\n(.*)ENGINE = (\w*MergeTree)(\([^)]*\))?(.*)$`)
	createMV    = regexp.MustCompile(`(?s)^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS(.*)$`)
	createView  = regexp.MustCompile(`^CREATE OR REPLACE VIEW (\w+)`)
	alterTable  = regexp.MustCompile(`(?s)^ALTER TABLE (\w+)(\s.*)$`)
	fromTable   = regexp.MustCompile(`\bFROM (transactions|blocks|logs|withdrawals)\b`)
)

// shardKeys names the sharding expression of each table's Distributed
// front; tables not listed shard by rand() (small bookkeeping tables).
var shardKeys = map[string]string{
	"blocks":             "intDiv(number, 10000)",
	"transactions":       "intDiv(block_number, 10000)",
	"logs":               "intDiv(block_number, 10000)",
	"withdrawals":        "intDiv(block_number, 10000)",
	"address_activity":   "cityHash64(address)",
	"address_first_seen": "cityHash64(address)",
}

func clusterize(stmt, cluster string) string {
	body := stripComments(stmt)
	if m := createTable.FindStringSubmatch(body); m != nil {
		name, cols, engine, args, rest := m[1], m[2], m[3], m[4], m[5]
		args = strings.Trim(args, "()")
		repl := fmt.Sprintf("'/clickhouse/tables/{shard}/{database}/%s_local', '{replica}'", name)
		if args != "" {
			repl += ", " + args
		}
		key, ok := shardKeys[name]
		if !ok {
			key = "rand()"
		}
		return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s_local ON CLUSTER %s\n%sENGINE = Replicated%s(%s)%s;\n\n"+
			"CREATE TABLE IF NOT EXISTS %s ON CLUSTER %s AS %s_local\nENGINE = Distributed(%s, currentDatabase(), %s_local, %s)",
			name, cluster, cols, engine, repl, rest, name, cluster, name, cluster, name, key)
	}
	if m := createMV.FindStringSubmatch(body); m != nil {
		sel := fromTable.ReplaceAllString(m[3], "FROM ${1}_local")
		return fmt.Sprintf("CREATE MATERIALIZED VIEW IF NOT EXISTS %s ON CLUSTER %s TO %s_local AS%s", m[1], cluster, m[2], sel)
	}
	if m := alterTable.FindStringSubmatch(body); m != nil {
		// A table is a local table on every node plus a Distributed front
		// with the same columns: both change.
		return fmt.Sprintf("ALTER TABLE %s_local ON CLUSTER %s%s;\n\nALTER TABLE %s ON CLUSTER %s%s",
			m[1], cluster, m[2], m[1], cluster, m[2])
	}
	if m := createView.FindStringSubmatch(body); m != nil {
		return strings.Replace(body, m[0], m[0]+" ON CLUSTER "+cluster, 1)
	}
	return body
}

func stripComments(stmt string) string {
	var out []string
	for _, line := range strings.Split(stmt, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
