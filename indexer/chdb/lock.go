package chdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// EndpointFile is the file, inside the data directory, in which the process
// owning the directory advertises its SQL endpoint (see Endpoint).
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
			return nil, &LockedError{DataDir: dataDir, Endpoint: ReadEndpoint(dataDir)}
		}
		return nil, fmt.Errorf("locking %s: %w", dataDir, err)
	}
	return f, nil
}

// Endpoint is how the process owning a data directory is reached: the
// address of its SQL endpoint and its own account there, whose random
// password lets a second ethidx of the same OS user in (the file is
// readable by that user only). An endpoint file from an ethidx before
// these accounts holds only the address.
type Endpoint struct {
	Addr     string `json:"addr"`
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	PID      int    `json:"pid,omitempty"`
}

// ReadEndpoint returns the endpoint advertised in dataDir; a zero Endpoint
// if there is none, or if it cannot be read (another OS user's).
func ReadEndpoint(dataDir string) Endpoint {
	b, err := os.ReadFile(filepath.Join(dataDir, EndpointFile))
	if err != nil {
		return Endpoint{}
	}
	var ep Endpoint
	if json.Unmarshal(b, &ep) != nil {
		return Endpoint{Addr: strings.TrimSpace(string(b))} // an older ethidx: the address alone
	}
	return ep
}

// WriteEndpoint advertises ep in dataDir, readable by this OS user only
// (it holds a password), atomically: a reader never sees half of it. Only
// the process holding the lock should call it.
func WriteEndpoint(dataDir string, ep Endpoint) error {
	b, err := json.Marshal(ep)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dataDir, EndpointFile+".*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("writing endpoint file: %w", err)
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dataDir, EndpointFile))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing endpoint file: %w", err)
	}
	return nil
}

// RemoveEndpoint withdraws the advertisement written by WriteEndpoint.
func RemoveEndpoint(dataDir string) {
	_ = os.Remove(filepath.Join(dataDir, EndpointFile))
}
