package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/cluster"
	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/replay"
	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/schema"
)

// Every command run in process on one node, each statement it sends
// recorded with its cluster form (cluster.Shadow; no cluster can run
// here): migrate, backfill, follow through a reorg (its repair deletes),
// rebuild, verify, every saved query, report, sql and status. On the
// cluster no statement may send a lightweight DELETE, a mutation, a
// TRUNCATE or an OPTIMIZE to a Distributed table, or insert into a local
// table; the chain tables' inserts carry a deduplication token; and every
// cluster statement parses.
func TestEveryCommandsClusterForm(t *testing.T) {
	form, err := cluster.New("c1")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []cluster.Statement
	wrapConn = func(c driver.Conn) driver.Conn {
		return cluster.Shadow(c, form, func(s cluster.Statement) {
			mu.Lock()
			seen = append(seen, s)
			mu.Unlock()
		})
	}
	defer func() { wrapConn = nil }()
	// The commands run in this process: confining it would lock the
	// tests after this one out of their files.
	confineEngine = false
	defer func() { confineEngine = true }()

	// Hourly blocks: 60 of them make two complete days for the day cache.
	const start, hour = 1704067200, 3600 // 2024-01-01
	srv := replay.New(replay.Options{})
	if err := srv.Generate(replay.GenOptions{From: 1, Count: 60, TxPerBlock: 6, Seed: 11, StartTime: start, BlockTime: hour}); err != nil {
		t.Fatal(err)
	}
	rpc, stop, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()

	// Commands print their answers on stdout.
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = devnull
	defer func() { os.Stdout = stdout; devnull.Close() }()
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))

	dir := t.TempDir()
	base := []string{"--data-dir", dir, "--http-addr", "127.0.0.1:0"}
	commands := [][]string{
		{"schema", "migrate"},
		{"backfill", "--rpc", rpc, "--from", "1", "--to", "40", "--batch", "10"},
		{"follow", "--rpc", rpc, "--finality", "latest", "--once", "--batch", "10"},
		{"reorg"}, // the chain changes from block 55 on
		{"follow", "--rpc", rpc, "--finality", "latest", "--once", "--batch", "10"},
		{"rebuild", "--from", "20"},
		{"verify", "--rpc", rpc, "--from", "1", "--to", "62"},
		{"report", "--month", "2024-01"},
		{"sql", "SELECT count() FROM transactions"},
		{"status", "--rpc", rpc},
	}
	for _, q := range queries.List() {
		commands = append(commands, []string{"query", q.Name})
	}
	for _, args := range commands {
		if args[0] == "reorg" {
			if err := srv.Generate(replay.GenOptions{From: 55, Count: 8, TxPerBlock: 6, Seed: 12, StartTime: start + 54*hour, BlockTime: hour}); err != nil {
				t.Fatal(err)
			}
			continue
		}
		app := newApp()
		app.Writer, app.ErrWriter = io.Discard, io.Discard
		mu.Lock()
		before := len(seen)
		mu.Unlock()
		err := app.RunContext(context.Background(), namesLast(append(append([]string{"ethidx"}, base...), args...)))
		slog.SetDefault(slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("ethidx %s: %v", strings.Join(args, " "), err)
		}
		mu.Lock()
		if len(seen) == before {
			t.Errorf("ethidx %s sent no statement", args[0])
		}
		mu.Unlock()
	}

	tables := cluster.Tables()
	target := regexp.MustCompile(`(?is)^(?:DELETE\s+FROM|ALTER\s+TABLE|TRUNCATE\s+(?:TABLE\s+)?|OPTIMIZE\s+TABLE|INSERT\s+INTO)\s+(?:\w+\.)?(\w+)`)
	mutation := regexp.MustCompile(`(?is)^(DELETE\s+FROM|TRUNCATE|OPTIMIZE)\b|^ALTER\s+TABLE\s+\S+\s+(?:ON\s+CLUSTER\s+\w+\s+)?(DELETE|UPDATE|DROP\s+PARTITION|DROP\s+PART\b)`)
	deletes, tokens, byToken := 0, map[string]int{}, map[string]bool{}
	distinct := map[string]bool{}
	for _, s := range seen {
		for _, c := range s.Cluster {
			distinct[c] = true
			m := target.FindStringSubmatch(c)
			if m == nil {
				continue
			}
			name := m[1]
			insert := strings.HasPrefix(strings.ToUpper(c), "INSERT")
			switch {
			case insert && strings.HasSuffix(name, cluster.LocalSuffix):
				t.Errorf("an insert into local table %s (inserts go through the Distributed tables): %.120s", name, c)
			case insert && s.InsertToken != "":
				tokens[name]++
				if s.Settings["insert_deduplication_token"] != s.InsertToken {
					t.Errorf("insert into %s: token %q not sent (settings %v)", name, s.InsertToken, s.Settings)
				}
				if byToken[s.InsertToken] {
					t.Errorf("insert token %q used twice", s.InsertToken)
				}
				byToken[s.InsertToken] = true
			case insert && s.Settings["insert_deduplicate"] != 0:
				t.Errorf("an insert into %s without a token is deduplicated by content on the cluster: %.120s", name, c)
			case mutation.MatchString(c) && tables[name]:
				t.Errorf("a delete or mutation sent to Distributed table %s: %.160s", name, c)
			case mutation.MatchString(c):
				deletes++
				if !strings.Contains(c, " ON CLUSTER c1") {
					t.Errorf("a delete on the cluster without ON CLUSTER: %.160s", c)
				}
			}
		}
	}
	if deletes < 10 {
		t.Errorf("only %d deletes seen; the reorg repair and the rebuild send at least 10", deletes)
	}
	for _, table := range []string{"blocks", "transactions", "logs", "withdrawals"} {
		if tokens[table] == 0 {
			t.Errorf("no insert into %s carried a deduplication token", table)
		}
	}

	// Each part of the work was among them: the database, the views, the
	// day cache, the reorg repair and the rebuild.
	for _, want := range []string{
		"CREATE DATABASE IF NOT EXISTS `eth` ON CLUSTER c1",
		"CREATE TABLE IF NOT EXISTS transactions ON CLUSTER c1 AS transactions_local",
		"CREATE OR REPLACE VIEW eth.daily_activity ON CLUSTER c1 AS",
		"INSERT INTO _daily_rollup_v2",
		"DELETE FROM _daily_rollup_v2_local ON CLUSTER c1 WHERE",
		"DELETE FROM blocks_local ON CLUSTER c1 WHERE",
		"DELETE FROM address_first_seen_local ON CLUSTER c1 WHERE",
		"INSERT INTO address_activity (day, address, is_sender, first_block)",
	} {
		found := false
		for c := range distinct {
			found = found || strings.HasPrefix(c, want)
		}
		if !found {
			t.Errorf("no statement sent begins %q", want)
		}
	}

	// Every distinct cluster statement parses. Client-side ? placeholders
	// are bound before sending; a batch insert's rows follow its head.
	eng := chdbtest.Open(t)
	placeholder := regexp.MustCompile(`\?`)
	for c := range distinct {
		q := placeholder.ReplaceAllString(c, "0")
		if regexp.MustCompile(`(?is)^INSERT\s+INTO\s+\S+\s*\([^)]*\)\s*$`).MatchString(q) {
			q += " VALUES"
		}
		if _, err := eng.Run(context.Background(), chdb.Statement{SQL: "SELECT formatQuery({q:String})",
			Params: map[string]string{"q": tsvParam(q)}}, &bytes.Buffer{}); err != nil {
			t.Errorf("cluster statement does not parse: %v\n%s", err, c)
		}
	}
	// And so does every statement `schema print --cluster c1` prints.
	printed := filepath.Join(t.TempDir(), "schema.sql")
	out, err := os.Create(printed)
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout = out
	err = newApp().RunContext(context.Background(), []string{"ethidx", "schema", "print", "--cluster", "c1"})
	os.Stdout = devnull
	out.Close()
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(printed)
	if err != nil {
		t.Fatal(err)
	}
	stmts := schema.SplitStatements(string(script))
	for _, c := range stmts {
		if _, err := eng.Run(context.Background(), chdb.Statement{SQL: "SELECT formatQuery({q:String})",
			Params: map[string]string{"q": tsvParam(c)}}, &bytes.Buffer{}); err != nil {
			t.Errorf("schema print --cluster: statement does not parse: %v\n%s", err, c)
		}
	}
	want := 0
	for _, stmt := range append(schema.Statements(), queries.InstallStatements("eth")...) {
		forms, err := form.Rewrite(stmt)
		if err != nil {
			t.Fatal(err)
		}
		want += len(forms)
	}
	if len(stmts) != want || !strings.Contains(string(script), "CREATE OR REPLACE VIEW eth.daily_activity ON CLUSTER c1") {
		t.Errorf("schema print --cluster printed %d statements, want %d, the saved queries' views among them", len(stmts), want)
	}
	t.Logf("%d statements sent by %d commands; %d distinct cluster statements, %d deletes, inserts with tokens %v",
		len(seen), len(commands)-1, len(distinct), deletes, tokens)
}

func tsvParam(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`).Replace(s)
}
