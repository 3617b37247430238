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
		p := scan(sqltext.StripComments(stmt))
		if !p.words("CREATE", "TABLE") {
			continue
		}
		if def, ok := p.tableDef(); ok {
			out[def.name.table] = true
		}
	}
	return out
})

// otherOps are the ALTER TABLE operations other than column changes that
// a column change must not be mixed with.
var otherOps = []string{"INDEX", "PROJECTION", "PARTITION", "CONSTRAINT", "TTL", "SETTING", "STATISTICS"}

// columnOps begin an ALTER TABLE's column changes (with COLUMN after).
var columnOps = []string{"ADD", "DROP", "MODIFY", "RENAME", "COMMENT", "CLEAR"}

// unknownDDL begin the statements that create, rename or detach objects
// that the rewrite does not know (with DROP DATABASE).
var unknownDDL = []string{"CREATE", "RENAME", "EXCHANGE", "ATTACH", "DETACH", "UNDROP"}

// Rewrite returns stmt's form on the cluster: one statement, or two where
// the single-node statement becomes a local table and its Distributed
// front. Statements that read or insert, and statements about objects
// that are not the schema's tables, are returned as they are.
//
// The statement is read with sqltext's lexer, never by pattern: a word in
// a string, a quoted name or a comment is not a clause, and what the
// rewrite copies (columns, a view's query) is copied as written.
func (f *Form) Rewrite(stmt string) ([]string, error) {
	s := sqltext.StripComments(stmt)
	if sqltext.HasPhrase(s, "ON", "CLUSTER") {
		return []string{s}, nil // already in its cluster form
	}
	tables := Tables()
	c := " ON CLUSTER " + f.name
	p := scan(s)
	switch {
	case p.words("CREATE", "TABLE"):
		if def, ok := p.tableDef(); ok {
			return f.table(def)
		}
	case p.words("CREATE", "MATERIALIZED", "VIEW"):
		// The view fires on inserts into the shard's local table and
		// writes through the target's Distributed table, which re-shards
		// the rows by the target's key.
		ifNot := p.optional("IF", "NOT", "EXISTS")
		mv, ok := p.name()
		if !ok || !p.words("TO") {
			break
		}
		target, ok := p.name()
		if !ok || !p.words("AS") {
			break
		}
		return []string{fmt.Sprintf("CREATE MATERIALIZED VIEW %s%s%s TO %s AS%s",
			ifNot, mv.written(), c, target.written(), localReads(s[p.toks[p.i-1].End:], tables))}, nil
	case p.words("CREATE", "VIEW"), p.words("CREATE", "OR", "REPLACE", "VIEW"):
		p.optional("IF", "NOT", "EXISTS")
		if v, ok := p.name(); ok {
			return []string{s[:v.end] + c + s[v.end:]}, nil
		}
	case p.words("CREATE", "DATABASE"):
		p.optional("IF", "NOT", "EXISTS")
		if t, ok := p.next(); ok {
			if _, ok := t.Name(); ok {
				return []string{s[:t.End] + c + s[t.End:]}, nil
			}
		}
	case p.words("ALTER", "TABLE"):
		if n, ok := p.name(); ok && tables[n.table] {
			return f.alter(n, p)
		}
	case p.words("DELETE", "FROM"), p.words("OPTIMIZE", "TABLE"), p.words("TRUNCATE"):
		if p.toks[0].Is("TRUNCATE") {
			p.optional("TABLE")
			p.optional("IF", "EXISTS")
		}
		n, ok := p.name()
		if !ok || !tables[n.table] {
			break
		}
		// <head><name>_local ON CLUSTER c <tail>
		return []string{s[:n.start] + n.local() + c + " " + strings.TrimLeft(s[n.end:], " ")}, nil
	case p.words("DROP", "TABLE"), p.words("DROP", "VIEW"):
		kind := p.toks[1].Text
		ifExists := p.optional("IF", "EXISTS")
		n, ok := p.name()
		if !ok {
			break
		}
		rest := s[n.end:]
		out := []string{"DROP " + kind + " " + ifExists + n.written() + c + rest}
		if tables[n.table] {
			out = append(out, "DROP TABLE "+ifExists+n.qual+n.local()+c+rest)
		}
		return out, nil
	}
	if slices.ContainsFunc(unknownDDL, func(w string) bool { return sqltext.Begins(s, w) }) || sqltext.Begins(s, "DROP", "DATABASE") {
		// DDL the rewrite does not know would reach the connected node
		// only: refused rather than half applied.
		return nil, fmt.Errorf("no cluster form for %.60q", s)
	}
	return []string{stmt}, nil
}

// table is the cluster form of a table: a replicated local table and its
// Distributed front.
func (f *Form) table(def tableDef) ([]string, error) {
	t, c := def.name.table, " ON CLUSTER "+f.name
	if !strings.HasSuffix(def.engine, "MergeTree") || strings.HasPrefix(def.engine, "Replicated") {
		return nil, fmt.Errorf("cluster form of table %s: engine %s has none (want a *MergeTree)", t, def.engine)
	}
	repl := "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"
	if def.args != "" {
		repl += ", " + def.args
	}
	where, db, local := "currentDatabase()", def.name.qual, def.name.local()
	if def.name.db != "" {
		where = sqltext.QuoteString(def.name.db)
	}
	return []string{
		fmt.Sprintf("CREATE TABLE %s%s%s%s\n%s\nENGINE = Replicated%s(%s)%s",
			def.ifNot, db, local, c, def.columns, def.engine, repl, def.rest),
		fmt.Sprintf("CREATE TABLE %s%s%s%s AS %s%s\nENGINE = Distributed(%s, %s, %s, %s)",
			def.ifNot, db, def.name.text, c, db, local, f.name, where, local, shardKey(t, def.rest)),
	}, nil
}

// alter is the cluster form of ALTER TABLE n, p at the operations: a
// mutation or a partition operation alters the local tables (the data
// lives there); a column change alters the Distributed front too.
func (f *Form) alter(n name, p *scanner) ([]string, error) {
	c := " ON CLUSTER " + f.name
	rest := p.s[p.offset(p.i):]
	local := "ALTER TABLE " + n.qual + n.local() + c + " " + rest
	if !slices.ContainsFunc(columnOps, func(op string) bool { return p.words(op, "COLUMN") }) {
		return []string{local}, nil
	}
	if slices.ContainsFunc(otherOps, func(w string) bool { return sqltext.HasPhrase(rest, w) }) {
		return nil, fmt.Errorf("cluster form of ALTER TABLE %s: give column changes in an ALTER of their own (the Distributed table takes only those)", n.table)
	}
	// The Distributed front has the local table's columns.
	return []string{local, "ALTER TABLE " + n.written() + c + " " + rest}, nil
}

// tableDef is a CREATE TABLE statement: its name, columns and engine.
type tableDef struct {
	ifNot   string // "IF NOT EXISTS " as written, or ""
	name    name
	columns string // "(...)", as written
	engine  string // the engine's name
	args    string // the engine's arguments, without parentheses
	rest    string // the text after the engine (PARTITION BY, ORDER BY, ...)
}

// tableDef reads the rest of a CREATE TABLE statement: [IF NOT EXISTS]
// name (columns) ENGINE = Engine[(args)] rest.
func (p *scanner) tableDef() (ct tableDef, ok bool) {
	ct.ifNot = p.optional("IF", "NOT", "EXISTS")
	if ct.name, ok = p.name(); !ok {
		return ct, false
	}
	cols, ok := p.group()
	if !ok || !p.words("ENGINE") || !p.punct("=") {
		return ct, false
	}
	ct.columns = p.s[cols[0]:cols[1]]
	engine, ok := p.next()
	if !ok || engine.Quoted || !sqltext.ValidIdent(engine.Text) {
		return ct, false
	}
	ct.engine = engine.Text
	end := engine.End
	if args, ok := p.group(); ok {
		ct.args = p.s[args[0]+1 : args[1]-1]
		end = args[1]
	}
	ct.rest = p.s[end:]
	return ct, true
}

// shardKey is table t's sharding expression: ShardKey's, or a hash of its
// sorting key (rest is the CREATE TABLE text after the engine).
func shardKey(t, rest string) string {
	if k, ok := ShardKey[t]; ok {
		return k
	}
	key, ok := orderBy(rest)
	if !ok {
		return "rand()"
	}
	if key == "" || strings.EqualFold(key, "tuple()") {
		return "rand()"
	}
	return "cityHash64(" + key + ")"
}

// orderBy returns the expression of the table's ORDER BY clause (the
// top-level one, up to the next clause), without the parentheses of a
// tuple.
func orderBy(rest string) (string, bool) {
	p := scan(rest)
	for ; p.i < len(p.toks); p.i++ {
		if p.toks[p.i].Depth == 0 && p.words("ORDER", "BY") {
			break
		}
	}
	from := p.i
	for ; p.i < len(p.toks); p.i++ {
		t := p.toks[p.i]
		if t.Depth == 0 && slices.ContainsFunc([]string{"SETTINGS", "TTL", "SAMPLE", "PARTITION", "PRIMARY", "COMMENT"}, t.Is) {
			break
		}
	}
	if from == len(p.toks) {
		return "", false
	}
	if from == p.i {
		return "", true
	}
	to := p.i
	if p.i = from; p.toks[from].Text == "(" && !p.toks[from].Quoted {
		if g, ok := p.group(); ok && p.i == to {
			return strings.TrimSpace(rest[g[0]+1 : g[1]-1]), true
		}
	}
	return rest[p.toks[from].Start:p.toks[to-1].End], true
}

// localReads points a materialized view's reads of the schema's tables at
// the shard-local tables: every table name after FROM or JOIN, at any
// depth.
func localReads(sel string, tables map[string]bool) string {
	p := scan(sel)
	var b strings.Builder
	pos := 0
	for p.i < len(p.toks) {
		if !p.words("FROM") && !p.words("JOIN") {
			p.i++
			continue
		}
		if n, ok := p.name(); ok && tables[n.table] {
			b.WriteString(sel[pos:n.start])
			b.WriteString(n.local())
			pos = n.end
		}
	}
	b.WriteString(sel[pos:])
	return b.String()
}
