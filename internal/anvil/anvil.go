// Package anvil starts anvil, Foundry's local Ethereum node, for tests
// that run ethidx against a real third-party node. scripts/anvil.sh
// installs it from the npm registry into the user cache once (`make
// anvil`); every test that needs anvil starts it through Start.
package anvil

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rpc"
)

// ChainID is the chain id the node is started with (anvil's default).
const ChainID = 31337

// Start installs anvil if it is not cached yet, runs it on a free
// loopback port until the test ends, and returns its URL and a client
// that has answered eth_chainId.
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
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(strings.TrimSpace(string(out)), "--port", port, "--host", "127.0.0.1", "--silent", "--chain-id", strconv.Itoa(ChainID))
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	url := "http://127.0.0.1:" + port
	deadline := time.Now().Add(30 * time.Second)
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

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}
