package chdb

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// EndpointFile is the file, inside the data directory, in which the process
// owning the directory advertises its SQL endpoint address.
const EndpointFile = "ethidx.endpoint"

const lockFile = "ethidx.lock"

// lockDataDir takes an exclusive flock on dataDir. The engine would
// corrupt a directory another process writes to, and the kernel drops a
// flock when its owner dies (even by SIGKILL), so no stale lock survives.
func lockDataDir(dataDir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dataDir, lockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{DataDir: dataDir, Addr: ReadEndpoint(dataDir)}
		}
		return nil, fmt.Errorf("locking %s: %w", dataDir, err)
	}
	return f, nil
}

// ReadEndpoint returns the address advertised in dataDir, or "".
func ReadEndpoint(dataDir string) string {
	b, err := os.ReadFile(filepath.Join(dataDir, EndpointFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// WriteEndpoint advertises addr in dataDir (atomically, so a reader never
// sees half an address). Only the process holding the lock should call it.
func WriteEndpoint(dataDir, addr string) error {
	tmp := filepath.Join(dataDir, EndpointFile+".tmp")
	if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing endpoint file: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dataDir, EndpointFile)); err != nil {
		return fmt.Errorf("writing endpoint file: %w", err)
	}
	return nil
}

// RemoveEndpoint withdraws the advertisement written by WriteEndpoint.
func RemoveEndpoint(dataDir string) {
	_ = os.Remove(filepath.Join(dataDir, EndpointFile))
}
