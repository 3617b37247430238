package sqlhttp_test

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/sqlhttp"
	"github.com/ethidx/ethidx/indexer/sqlhttp/sqlhttptest"
)

// Idle connections cannot pile up without bound: past MaxConnections a new
// one is not served until another closes, and an oversized header block is
// refused before it is buffered.
func TestConnectionsAndHeadersAreBounded(t *testing.T) {
	addr, _ := sqlhttptest.Start(t, sqlhttp.Config{MaxConnections: 2})
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	query := "http://" + addr + "/?query=" + url.QueryEscape("SELECT 1")
	client := &http.Client{Timeout: 700 * time.Millisecond}
	if resp, err := client.Get(query); err == nil {
		resp.Body.Close()
		t.Fatalf("a third connection was served while two were open (MaxConnections 2): %s", resp.Status)
	}
	idle[0].Close()
	client.Timeout = 10 * time.Second
	resp, err := client.Get(query)
	if err != nil {
		t.Fatalf("after one of the idle connections closed: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "1" {
		t.Fatalf("after one closed: %d %q", resp.StatusCode, body)
	}
	idle[1].Close()

	req, _ := http.NewRequest("GET", query, nil)
	req.Header.Set("X-Padding", strings.Repeat("a", 2*sqlhttp.MaxHeaderBytes))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a %d-byte header: %d, want 431", 2*sqlhttp.MaxHeaderBytes, resp.StatusCode)
	}
}
