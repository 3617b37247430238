// Package anvil starts anvil, Foundry's local Ethereum node, for tests
// that run ethidx against a real third-party node. scripts/anvil.sh
// installs it from the npm registry into the user cache once (`make
// anvil`); every test that needs anvil starts it through Start.
package anvil

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// ChainID is the chain id the node is started with (anvil's default).
const ChainID = 31337

// Start installs anvil if it is not cached yet, runs it on a loopback port
// it picks itself (--port 0, so no other test can take the port first)
// until the test ends, and returns its URL and a client that has
// answered eth_chainId.
func Start(tb testing.TB) (string, *rpc.Client) {
	tb.Helper()
	script, err := script()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := exec.Command("sh", script).Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(exit.Stderr))
		}
		tb.Fatalf("installing anvil (scripts/anvil.sh; needs node and npm): %v", err)
	}
	listening := &listenWriter{addr: make(chan string, 1)}
	var stderr bytes.Buffer
	cmd := exec.Command(strings.TrimSpace(string(out)), "--port", "0", "--host", "127.0.0.1", "--chain-id", strconv.Itoa(ChainID))
	cmd.Stdout, cmd.Stderr = listening, &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tb.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	var url string
	select {
	case addr := <-listening.addr:
		url = "http://" + addr
	case err := <-exited:
		exited <- err // for the cleanup
		tb.Fatalf("anvil exited before listening: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	case <-time.After(time.Minute):
		tb.Fatal("anvil did not say where it listens within a minute")
	}
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := rpc.Dial(url)
		if err == nil {
			var id hexutil.Uint64
			if err = c.Call(&id, "eth_chainId"); err == nil {
				tb.Cleanup(c.Close)
				return url, c
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("anvil did not answer: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Receipt waits for the receipt of the transaction hash: anvil's automine
// answers eth_sendTransaction before the block holding it is in.
func Receipt(tb testing.TB, c *rpc.Client, hash common.Hash) map[string]any {
	tb.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var r map[string]any
		if err := c.Call(&r, "eth_getTransactionReceipt", hash); err != nil {
			tb.Fatal(err)
		}
		if r != nil {
			return r
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no receipt of %s within a minute", hash)
		}
	}
}

// listenWriter takes anvil's standard output and sends the address of its
// "Listening on HOST:PORT" line once; the rest (every request it logs) is
// dropped.
type listenWriter struct {
	mu    sync.Mutex
	buf   []byte
	found bool
	addr  chan string
}

func (w *listenWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.found {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	const prefix = "Listening on "
	if i := bytes.Index(w.buf, []byte(prefix)); i >= 0 {
		if rest := w.buf[i+len(prefix):]; bytes.IndexByte(rest, '\n') >= 0 {
			w.found = true
			w.addr <- string(bytes.TrimSpace(rest[:bytes.IndexByte(rest, '\n')]))
			w.buf = nil
			return len(p), nil
		}
	}
	if len(w.buf) > 1<<20 { // the banner is a few KB: keep the tail only
		w.buf = append(w.buf[:0], w.buf[len(w.buf)-4096:]...)
	}
	return len(p), nil
}

// script finds scripts/anvil.sh in the repository that holds the working
// directory (go test runs in the package's folder): the nearest go.mod
// above it is the repository's.
func script() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "anvil.sh"), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("finding scripts/anvil.sh: no go.mod above the working directory")
		}
		dir = up
	}
}
