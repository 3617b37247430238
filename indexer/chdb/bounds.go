package chdb

import (
	"bytes"
	"embed"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"text/template"
	"time"
)

// Bounds are the limits the engine itself enforces. MaxMemoryUsage and
// MaxExecutionTime bound every statement from outside the process
// (Statement.Untrusted): they are the engine user's settings profile, with
// constraints that make the engine refuse a SET or SETTINGS lifting them,
// whatever the statement's text or its connection's settings. The
// process's own statements run without them. ServerMemory is the engine's
// ceiling for everything it holds (max_server_memory_usage), the process's
// own statements included. Zero means no limit (ServerMemory: the
// engine's default, 90% of the machine's memory).
type Bounds struct {
	ServerMemory     uint64
	MaxMemoryUsage   uint64
	MaxExecutionTime time.Duration
}

// MaxThreads is the most threads an untrusted statement may ask for
// (max_threads): threads multiply what escapes the memory tracker, up to
// 4 MiB each.
func MaxThreads() int { return 4 * runtime.NumCPU() }

// Bounds returns the limits the engine enforces.
func (e *Engine) Bounds() Bounds { return e.opts.Bounds }

//go:embed config/engine.xml config/users.xml
var configFiles embed.FS

var configTemplates = template.Must(template.ParseFS(configFiles, "config/*.xml"))

// configDir is where the engine's configuration is written, in the data
// directory.
const configDir = "ethidx-engine"

// writeConfig writes the engine's configuration for b into dir's
// configDir and returns the main file. extra, if set, is a configuration
// file of the caller's (Options.ConfigFile), whose elements are added to
// the main file.
func writeConfig(dir string, b Bounds, extra string) (string, error) {
	cd := filepath.Join(dir, configDir)
	if err := os.MkdirAll(cd, 0o700); err != nil {
		return "", fmt.Errorf("writing engine configuration: %w", err)
	}
	data := map[string]any{
		"Users":          filepath.Join(cd, "users.xml"),
		"ServerMemory":   b.ServerMemory,
		"MaxMemoryUsage": b.MaxMemoryUsage,
		"MaxThreads":     MaxThreads(),
	}
	if extra != "" {
		// The caller's elements go inside ours (the engine merges no
		// config.d for an embedded server).
		raw, err := os.ReadFile(extra)
		if err != nil {
			return "", fmt.Errorf("reading engine configuration: %w", err)
		}
		var root struct {
			Inner string `xml:",innerxml"`
		}
		if err := xml.Unmarshal(raw, &root); err != nil {
			return "", fmt.Errorf("reading engine configuration %s: %w", extra, err)
		}
		data["Extra"] = root.Inner
	}
	if b.MaxExecutionTime > 0 {
		data["MaxExecutionTime"] = strconv.FormatFloat(b.MaxExecutionTime.Seconds(), 'f', -1, 64)
	}
	for _, name := range []string{"engine.xml", "users.xml"} {
		var buf bytes.Buffer
		if err := configTemplates.ExecuteTemplate(&buf, name, data); err != nil {
			return "", fmt.Errorf("writing engine configuration: %w", err)
		}
		if err := os.WriteFile(filepath.Join(cd, name), buf.Bytes(), 0o600); err != nil {
			return "", fmt.Errorf("writing engine configuration: %w", err)
		}
	}
	return filepath.Join(cd, "engine.xml"), nil
}

// trustedArgs are the connection arguments of the process's own
// connections: no per-statement limit (the server ceiling still holds).
// Connection arguments are applied without the profile's constraints.
var trustedArgs = []string{"--max_memory_usage=0", "--max_execution_time=0"}
