package store_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/store"
)

func get(t *testing.T, addr, user, password, sql string) (int, string) {
	t.Helper()
	v := url.Values{"query": {sql}, "user": {user}, "password": {password}}
	resp, err := http.Get("http://" + addr + "/?" + v.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A command's own endpoint is private: on a free loopback port, admitting
// only the process's own random account, which the endpoint file (its
// owner's alone) hands to a second ethidx of the data dir. A public one
// (serve) beside it fronts the owner's engine with its own users. Closing
// the owner withdraws the file.
func TestPrivateEndpoint(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	eng := chdbtest.Open(t)
	dir := eng.DataDir()
	owner, err := store.Open(ctx, store.Options{Engine: eng, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	if !strings.HasPrefix(owner.Addr, "127.0.0.1:") || strings.HasSuffix(owner.Addr, ":8123") {
		t.Errorf("private endpoint on %s, want a free loopback port", owner.Addr)
	}

	file := filepath.Join(dir, chdb.EndpointFile)
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("endpoint file: %v %v, want mode 0600", err, fi)
	}
	b, _ := os.ReadFile(file)
	var ep chdb.Endpoint
	if err := json.Unmarshal(b, &ep); err != nil || ep.Addr != owner.Addr || ep.User == "" || len(ep.Password) < 32 || ep.PID != os.Getpid() {
		t.Fatalf("endpoint file %s: %+v %v", b, ep, err)
	}

	// Nobody else: no credentials, the default user, a wrong password.
	for _, c := range [][2]string{{"", ""}, {"default", ""}, {ep.User, "wrong"}} {
		if code, body := get(t, owner.Addr, c[0], c[1], "SELECT 1"); code == 200 {
			t.Errorf("owner's endpoint as %q/%q: 200 %q, want a refusal", c[0], c[1], body)
		}
	}
	if code, body := get(t, owner.Addr, ep.User, ep.Password, "SELECT 1"); code != 200 || body != "1\n" {
		t.Errorf("owner's endpoint with the file's account: %d %q", code, body)
	}

	// A second ethidx finds the owner through the file and writes.
	second, err := store.Open(ctx, store.Options{DataDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if second.Shared != owner.Addr || second.Addr != "" {
		t.Errorf("second: shared %q addr %q, want the owner's %s and none of its own", second.Shared, second.Addr, owner.Addr)
	}
	if err := second.Conn.Exec(ctx, "CREATE TABLE IF NOT EXISTS t (n UInt64) ENGINE = MergeTree ORDER BY n"); err != nil {
		t.Fatal(err)
	}
	if err := second.Conn.Exec(ctx, "INSERT INTO t VALUES (7)"); err != nil {
		t.Fatal(err)
	}

	// serve beside it: its own users, on its own address.
	serve, err := store.Open(ctx, store.Options{DataDir: dir, Public: true, ReadOnly: true, Logger: quiet,
		Endpoint: sqlhttp.Config{Users: []sqlhttp.User{{Name: "grafana", Password: "pw", ReadOnly: true}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	if !serve.Fronted || serve.Addr == "" || serve.Addr == owner.Addr {
		t.Fatalf("serve beside the owner: fronted %v on %q", serve.Fronted, serve.Addr)
	}
	if code, body := get(t, serve.Addr, "grafana", "pw", "SELECT sum(n) FROM eth.t"); code != 200 || body != "7\n" {
		t.Errorf("grafana through serve: %d %q, want 7", code, body)
	}
	if code, _ := get(t, serve.Addr, "", "", "SELECT 1"); code == 200 {
		t.Error("serve with users admitted an anonymous request")
	}
	serve.Close()
	second.Close()
	owner.Close()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("endpoint file left after the owner closed: %v", err)
	}
}
