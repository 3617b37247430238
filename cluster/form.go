// Package cluster gives every statement ethidx sends its form for a
// ClickHouse cluster, generated from the same SQL the single-node path runs,
// so there is no second copy of any statement to keep in step.
//
// The topology (README, "A ClickHouse cluster"):
//
//   - Each table of the schema is a Replicated*MergeTree named <table>_local
//     on every node, plus a Distributed table under the original name.
//     Every read, and every insert, goes through the Distributed names, so
//     queries, views and BI tools read the same names as on one node.
//   - Chain tables (blocks, transactions, logs, withdrawals, traces) are sharded by
//     block number in runs of 10,000 blocks: a batch, and its rewrite after
//     a reorg, lands on one shard, and FINAL, which merges row versions
//     within a shard, stays exact.
//   - Address tables are sharded by address, and the materialized views
//     read the local transactions of a shard but write through the
//     Distributed address tables, so each row is re-sharded to its
//     address's shard. Every figure per address (first appearance, distinct
//     addresses of a day) is then complete on one shard.
//   - Bookkeeping tables are sharded by a hash of their sorting key, so
//     every version of a row is on one shard and FINAL is exact there too.
//   - Deletes, mutations, TRUNCATE and OPTIMIZE go to the _local tables ON
//     CLUSTER (a Distributed table accepts none of them), with settings that
//     make them complete on every replica before the statement returns.
//   - DDL runs ON CLUSTER; a column change alters both the local tables and
//     the Distributed fronts.
package cluster

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/ethidx/ethidx/schema"
	"github.com/ethidx/ethidx/sqltext"
)

// Form rewrites statements for one cluster.
type Form struct{ name string }

// New returns the form for the cluster called name (as in the servers'
// remote_servers configuration).
func New(name string) (*Form, error) {
	if !sqltext.ValidIdent(name) {
		return nil, fmt.Errorf("cluster name %q: want a letter or underscore, then letters, digits and underscores", name)
	}
	return &Form{name: name}, nil
}

// Name is the cluster's name.
func (f *Form) Name() string { return f.name }

// Settings are the connection settings every statement runs with on the
// cluster:
//   - inserts into a Distributed table reach the shards before the insert
//     returns (not queued on the initiator, where a crash would lose them
//     after ethidx recorded the range as complete);
//   - lightweight deletes and mutations finish on every replica, and ON
//     CLUSTER DDL on every host, before the statement returns, so a reorg
//     repair is complete before the new branch is written;
//   - retried inserts are deduplicated (the sink names each insert with a
//     token, see WithInsertToken), in the materialized views' targets too;
//   - a subquery or JOIN over a Distributed table inside a distributed
//     query is evaluated once and sent to the shards (GLOBAL), which is
//     exact whatever the data's placement;
//   - a GROUP BY on the sharding key (address) is completed on each shard
//     and only concatenated, which is exact because an address lives on one
//     shard.
func (f *Form) Settings() map[string]any {
	return map[string]any{
		"insert_distributed_sync":                            1,
		"lightweight_deletes_sync":                           2,
		"mutations_sync":                                     2,
		"alter_sync":                                         2,
		"distributed_ddl_task_timeout":                       600,
		"distributed_ddl_output_mode":                        "throw_only_active",
		"insert_deduplicate":                                 1,
		"deduplicate_blocks_in_dependent_materialized_views": 1,
		"distributed_product_mode":                           "global",
		"optimize_distributed_group_by_sharding_key":         1,
	}
}

// ShardKey is the sharding expression of each table's Distributed front,
// for the tables whose key is not their sorting key's hash.
var ShardKey = map[string]string{
	"blocks":             fmt.Sprintf("intDiv(number, %d)", ShardRun),
	"transactions":       fmt.Sprintf("intDiv(block_number, %d)", ShardRun),
	"logs":               fmt.Sprintf("intDiv(block_number, %d)", ShardRun),
	"withdrawals":        fmt.Sprintf("intDiv(block_number, %d)", ShardRun),
	"token_transfers":    fmt.Sprintf("intDiv(block_number, %d)", ShardRun),
	"traces":             fmt.Sprintf("intDiv(block_number, %d)", ShardRun),
	"address_activity":   "cityHash64(address)",
	"address_first_seen": "cityHash64(address)",
	"address_first_role": "cityHash64(address)",
}

// ShardRun is how many consecutive blocks the chain tables keep on one
// shard. A writer inserts each run's rows separately, under its own
// token, so no two shards ever forward the same token (their views write
// through the Distributed address tables to the same address shards,
// which would take the second insert for a retry of the first).
const ShardRun = 10000

// LocalSuffix names a table's shard-local part.
const LocalSuffix = "_local"

// Tables are the schema's tables (each becomes a local and a Distributed
// table), from its CREATE TABLE statements.
var Tables = sync.OnceValue(func() map[string]bool {
	out := map[string]bool{}
	for _, stmt := range schema.Statements() {
		if m := createTable.FindStringSubmatch(sqltext.StripComments(stmt)); m != nil {
			out[m[3]] = true
		}
	}
	return out
})

var (
	name        = `((?:\w+\.)?)(\w+)` // an optionally qualified name: the qualifier (with its dot), the name
	createTable = regexp.MustCompile(`(?is)^CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?` + name + `\s*(\(.*\))\s*ENGINE\s*=\s*(\w+)(\([^)]*\))?(.*)$`)
	createMV    = regexp.MustCompile(`(?is)^CREATE\s+MATERIALIZED\s+VIEW\s+(IF\s+NOT\s+EXISTS\s+)?` + name + `\s+TO\s+` + name + `\s+AS\b(.*)$`)
	createView  = regexp.MustCompile(`(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\w+\.)?\w+`)
	createDB    = regexp.MustCompile(`(?is)^CREATE\s+DATABASE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:\w+|` + "`[^`]*`" + `)`)
	alterTable  = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+` + name + `\s+(.*)$`)
	columnOp    = regexp.MustCompile(`(?i)^(ADD|DROP|MODIFY|RENAME|COMMENT|CLEAR)\s+COLUMN\b`)
	deleteFrom  = regexp.MustCompile(`(?is)^DELETE\s+FROM\s+` + name + `\s+(.*)$`)
	truncate    = regexp.MustCompile(`(?is)^TRUNCATE\s+(?:TABLE\s+)?(?:IF\s+EXISTS\s+)?` + name + `(.*)$`)
	optimize    = regexp.MustCompile(`(?is)^OPTIMIZE\s+TABLE\s+` + name + `(.*)$`)
	dropTable   = regexp.MustCompile(`(?is)^DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?` + name + `(.*)$`)
	orderBy     = regexp.MustCompile(`(?is)\bORDER\s+BY\s+(.+?)\s*(?:\bSETTINGS\b|\bTTL\b|\bSAMPLE\b|$)`)
	fromTable   = regexp.MustCompile(`(?i)\b(FROM|JOIN)(\s+)` + name + `\b`)
	unknownDDL  = regexp.MustCompile(`(?is)^(CREATE|RENAME|EXCHANGE|ATTACH|DETACH|UNDROP)\b|^DROP\s+DATABASE\b`)
)

// otherOps are the ALTER TABLE operations other than column changes that
// a column change must not be mixed with.
var otherOps = []string{"INDEX", "PROJECTION", "PARTITION", "CONSTRAINT", "TTL", "SETTING", "STATISTICS"}

// Rewrite returns stmt's form on the cluster: one statement, or two where
// the single-node statement becomes a local table and its Distributed
// front. Statements that read or insert, and statements about objects
// that are not the schema's tables, are returned as they are.
func (f *Form) Rewrite(stmt string) ([]string, error) {
	s := sqltext.StripComments(stmt)
	if sqltext.HasPhrase(s, "ON", "CLUSTER") {
		return []string{s}, nil // already in its cluster form
	}
	tables := Tables()
	c := f.name
	if m := createTable.FindStringSubmatch(s); m != nil {
		ifNot, db, t, cols, engine, args, rest := m[1], m[2], m[3], m[4], m[5], strings.Trim(m[6], "()"), m[7]
		if !strings.HasSuffix(engine, "MergeTree") || strings.HasPrefix(engine, "Replicated") {
			return nil, fmt.Errorf("cluster form of table %s: engine %s has none (want a *MergeTree)", t, engine)
		}
		repl := "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"
		if args != "" {
			repl += ", " + args
		}
		where := "currentDatabase()"
		if db != "" {
			where = sqltext.QuoteString(strings.TrimSuffix(db, "."))
		}
		return []string{
			fmt.Sprintf("CREATE TABLE %s%s%s%s ON CLUSTER %s\n%s\nENGINE = Replicated%s(%s)%s",
				ifNot, db, t, LocalSuffix, c, cols, engine, repl, rest),
			fmt.Sprintf("CREATE TABLE %s%s%s ON CLUSTER %s AS %s%s%s\nENGINE = Distributed(%s, %s, %s%s, %s)",
				ifNot, db, t, c, db, t, LocalSuffix, c, where, t, LocalSuffix, shardKey(t, rest)),
		}, nil
	}
	if m := createMV.FindStringSubmatch(s); m != nil {
		// The view fires on inserts into the shard's local table and
		// writes through the target's Distributed table, which re-shards
		// the rows by the target's key.
		ifNot, db, mv, tdb, target, sel := m[1], m[2], m[3], m[4], m[5], m[6]
		return []string{fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s%s ON CLUSTER %s TO %s%s AS%s",
			ifNot, db, mv, c, tdb, target, localReads(sel, tables))}, nil
	}
	if loc := createView.FindStringIndex(s); loc != nil {
		return []string{s[:loc[1]] + " ON CLUSTER " + c + s[loc[1]:]}, nil
	}
	if loc := createDB.FindStringIndex(s); loc != nil {
		return []string{s[:loc[1]] + " ON CLUSTER " + c + s[loc[1]:]}, nil
	}
	if m := alterTable.FindStringSubmatch(s); m != nil && tables[m[2]] {
		db, t, rest := m[1], m[2], m[3]
		local := fmt.Sprintf("ALTER TABLE %s%s%s ON CLUSTER %s %s", db, t, LocalSuffix, c, rest)
		if columnOp.MatchString(rest) {
			if slices.ContainsFunc(otherOps, func(w string) bool { return sqltext.HasPhrase(rest, w) }) {
				return nil, fmt.Errorf("cluster form of ALTER TABLE %s: give column changes in an ALTER of their own (the Distributed table takes only those)", t)
			}
			// The Distributed front has the local table's columns.
			return []string{local, fmt.Sprintf("ALTER TABLE %s%s ON CLUSTER %s %s", db, t, c, rest)}, nil
		}
		return []string{local}, nil // a mutation or a partition operation: data lives in the local tables
	}
	for _, re := range []*regexp.Regexp{deleteFrom, truncate, optimize} {
		if m := re.FindStringSubmatchIndex(s); m != nil && tables[s[m[4]:m[5]]] {
			// <head><name>_local ON CLUSTER c<tail>
			return []string{s[:m[5]] + LocalSuffix + " ON CLUSTER " + c + " " + strings.TrimLeft(s[m[5]:], " ")}, nil
		}
	}
	if m := dropTable.FindStringSubmatch(s); m != nil {
		kind, ifExists, db, t, rest := m[1], m[2], m[3], m[4], m[5]
		out := []string{fmt.Sprintf("DROP %s %s%s%s ON CLUSTER %s%s", kind, ifExists, db, t, c, rest)}
		if tables[t] {
			out = append(out, fmt.Sprintf("DROP TABLE %s%s%s%s ON CLUSTER %s%s", ifExists, db, t, LocalSuffix, c, rest))
		}
		return out, nil
	}
	if m := unknownDDL.FindString(s); m != "" {
		// DDL the rewrite does not know would reach the connected node
		// only: refused rather than half applied.
		return nil, fmt.Errorf("no cluster form for %.60q", s)
	}
	return []string{stmt}, nil
}

// shardKey is table t's sharding expression: ShardKey's, or a hash of its
// sorting key (rest is the CREATE TABLE text after the engine).
func shardKey(t, rest string) string {
	if k, ok := ShardKey[t]; ok {
		return k
	}
	m := orderBy.FindStringSubmatch(rest)
	if m == nil {
		return "rand()"
	}
	key := strings.TrimSpace(m[1])
	if strings.HasPrefix(key, "(") && strings.HasSuffix(key, ")") {
		key = key[1 : len(key)-1]
	}
	if key == "" || strings.EqualFold(key, "tuple()") {
		return "rand()"
	}
	return "cityHash64(" + key + ")"
}

// localReads points a materialized view's reads of the schema's tables at
// the shard-local tables.
func localReads(sel string, tables map[string]bool) string {
	return fromTable.ReplaceAllStringFunc(sel, func(m string) string {
		sub := fromTable.FindStringSubmatch(m)
		if !tables[sub[4]] {
			return m
		}
		return sub[1] + sub[2] + sub[3] + sub[4] + LocalSuffix
	})
}
