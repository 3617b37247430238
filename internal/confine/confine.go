// Package confine restricts the whole ethidx process, with Linux Landlock,
// to the files it needs: its data directory, the engine library, a
// temporary directory and a few read-only system files. It is the second
// layer under the SQL endpoint's host guard (package chdb): a function the
// guard wrongly allowed still cannot open /etc/passwd, another user's
// files or the process's environment.
//
// The restriction covers every thread: go-landlock applies it to each
// thread of the Go runtime at once (through psx), and threads started
// later, the engine's included, inherit it from the thread that starts
// them. Apply it before the engine library starts its first thread.
//
// Where the kernel has no Landlock, or the binary cannot reach all its
// threads at once (built with CGO_ENABLED=0: purego's stand-in for cgo
// keeps Go from running a system call on every thread), Apply logs that once and returns: the guard alone then keeps
// SQL users off the host. Network access is not
// restricted (see Rules).
package confine

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/landlock-lsm/go-landlock/landlock"
	llsys "github.com/landlock-lsm/go-landlock/landlock/syscall"
)

// Rules are the paths the process keeps. Everything else on the
// filesystem is refused, to every thread, for the rest of the process's
// life.
//
// The network is left open: the process connects to its --rpc nodes and
// ClickHouse servers (any port a URL names) and binds its endpoint and
// metrics ports, and what SQL users could reach by network is kept from
// them by the guard (url(), remote(), s3() ... are refused).
type Rules struct {
	// ReadWrite are directories the process reads, writes and creates
	// files in (the data directory, the temporary directory).
	ReadWrite []string
	// ReadOnly are files or directories the process only reads (the
	// engine library).
	ReadOnly []string
	// WriteFiles are single files the process writes or creates (a
	// chart, an export): their directory is not opened to it.
	WriteFiles []string
}

// System are the read-only files any command needs besides its own: TLS
// roots for https and wss nodes, name resolution for their hosts, the
// time zone database, and the few /proc and /sys files the engine sizes
// itself from (memory, CPUs, cgroup limits). Missing ones are skipped.
// Not here: the rest of /proc/self (environ, cmdline, maps), /etc, home
// directories.
var System = Rules{
	ReadOnly: []string{
		"/etc/ssl", "/etc/pki", "/etc/ca-certificates", "/usr/share/ca-certificates", "/usr/lib/ssl",
		"/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf",
		"/etc/localtime", "/etc/timezone", "/usr/share/zoneinfo",
		"/dev/urandom", "/dev/random",
		"/proc/meminfo", "/proc/cpuinfo", "/proc/stat", "/proc/loadavg", "/proc/self/statm", "/proc/self/status", "/proc/self/maps",
		"/proc/self/cgroup", "/proc/self/mountinfo", "/proc/sys/kernel/osrelease",
		"/sys/fs/cgroup", "/sys/devices/system/cpu",
	},
	WriteFiles: []string{"/dev/null"},
}

var (
	once     sync.Once
	confined bool
	result   error
)

// Apply restricts the process to r plus System. It acts once per process
// (Landlock can only narrow, so a second, different set would lock the
// first one's paths away); later calls return the first one's result.
// It returns an error only if the kernel has Landlock and refused the
// rules; a kernel without Landlock is logged once.
func Apply(r Rules, log *slog.Logger) error {
	once.Do(func() { confined, result = apply(r, log) })
	return result
}

// Applied reports whether Apply confined this process.
func Applied() bool { return confined }

// Available reports whether the kernel offers Landlock.
func Available() bool {
	v, err := llsys.LandlockGetABIVersion()
	return err == nil && v > 0
}

func apply(r Rules, log *slog.Logger) (bool, error) {
	if log == nil {
		log = slog.Default()
	}
	abi, err := llsys.LandlockGetABIVersion()
	if err != nil || abi < 1 {
		log.Warn("this kernel has no Landlock: the process is not confined to its files; the SQL guard alone keeps users off the host", "err", err)
		return false, nil
	}
	var rules []landlock.Rule
	rw, ro, wf := existing(append(r.ReadWrite, System.ReadWrite...)), existing(append(r.ReadOnly, System.ReadOnly...)), append(r.WriteFiles, System.WriteFiles...)
	dirs, files := split(ro)
	if len(rw) > 0 {
		// Refer: the engine renames parts and tables between directories.
		rules = append(rules, landlock.RWDirs(rw...).WithRefer())
	}
	if len(dirs) > 0 {
		rules = append(rules, landlock.RODirs(dirs...))
	}
	if len(files) > 0 {
		rules = append(rules, landlock.ROFiles(files...))
	}
	for _, f := range wf {
		if _, err := os.Stat(f); errors.Is(err, os.ErrNotExist) {
			// Landlock rules name existing files: create it empty now
			// so that it can be written later.
			if err := os.WriteFile(f, nil, 0o644); err != nil {
				return false, fmt.Errorf("confining to %s: %w", f, err)
			}
		}
		rules = append(rules, landlock.RWFiles(f).IgnoreIfMissing())
	}
	// V7 is the newest ABI whose filesystem rights this code was measured
	// with; BestEffort uses what an older kernel has.
	if err := landlock.V7.BestEffort().RestrictPaths(rules...); err != nil {
		if strings.Contains(err.Error(), "operation not supported") {
			// A binary built with CGO_ENABLED=0 next to purego's fake cgo:
			// Go cannot run a system call on all its threads (psx needs
			// real cgo), so nothing was restricted. Say so rather than confine only some threads.
			log.Warn("this build of ethidx cannot confine all its threads (build it with cgo): the process is not confined to its files; the SQL guard alone keeps users off the host", "err", err)
			return false, nil
		}
		return false, fmt.Errorf("confining the process with Landlock: %w", err)
	}
	log.Debug("process confined with Landlock", "abi", abi, "read_write", rw, "read_only", ro, "write_files", wf)
	return true, nil
}

// existing returns the absolute forms of the paths that exist.
func existing(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		a, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if _, err := os.Stat(a); err == nil {
			out = append(out, a)
		}
	}
	return out
}

// split separates directories from other files: Landlock gives files
// only file rights.
func split(paths []string) (dirs, files []string) {
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			dirs = append(dirs, p)
		} else {
			files = append(files, p)
		}
	}
	return dirs, files
}
