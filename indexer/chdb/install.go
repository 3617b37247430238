package chdb

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// The engine build ethidx is tested with. chDB publishes libchdb.so inside
// npm packages, one per platform; npm is the one channel for it that is
// reachable wherever ethidx is built, and `npm pack` fetches a package
// without installing anything.
const (
	LibraryVersion = "26.7.3-stable.1"
	libFile        = "libchdb.so"
)

// platformPackage is chDB's npm package for a platform, with the size and
// SHA-256 of its library when ethidx knows them.
type platformPackage struct {
	pkg    string
	size   int64
	sha256 string
}

var platformPackages = map[string]platformPackage{
	"linux/amd64":  {"@chdb/lib-linux-x64-gnu", 566330096, "36ad4e999882821ef13cf2d0f52c93f48e6ee1b4498b35a201c23ce4b8d15bf5"},
	"linux/arm64":  {pkg: "@chdb/lib-linux-arm64-gnu"},
	"darwin/arm64": {pkg: "@chdb/lib-darwin-arm64"},
	"darwin/amd64": {pkg: "@chdb/lib-darwin-x64"},
}

// EnvLibrary names the environment variable that points ethidx at a
// libchdb.so the user already has.
const EnvLibrary = "ETHIDX_LIBCHDB"

// InstallHint tells a user how to get the engine.
const InstallHint = "run `ethidx engine install` (or `make engine`), or set " + EnvLibrary + " to an existing libchdb.so"

// cachedPath is where Install puts the library.
func cachedPath() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding cache dir: %w", err)
	}
	return filepath.Join(dir, "ethidx", "libchdb-"+LibraryVersion, libFile), nil
}

// LibraryPath returns the engine library to load: $ETHIDX_LIBCHDB if set,
// else the copy Install caches. It fails, saying how to install, when
// neither exists.
func LibraryPath() (string, error) {
	if p := os.Getenv(EnvLibrary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvLibrary, p, err)
		}
		return p, nil
	}
	p, err := cachedPath()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("embedded ClickHouse engine not installed (no %s): %s", p, InstallHint)
	}
	return p, nil
}

// Install fetches the engine library into the user cache unless it is
// already there, and returns its path. It needs `npm` on PATH.
func Install(ctx context.Context, log *slog.Logger) (string, error) {
	if log == nil {
		log = slog.Default()
	}
	plat := runtime.GOOS + "/" + runtime.GOARCH
	want, ok := platformPackages[plat]
	if !ok {
		return "", fmt.Errorf("no chDB engine build for %s; use a ClickHouse server with --clickhouse", plat)
	}
	dst, err := cachedPath()
	if err != nil {
		return "", err
	}
	return install(ctx, log, want, dst)
}

// install is Install for a given package and destination.
func install(ctx context.Context, log *slog.Logger, want platformPackage, dst string) (string, error) {
	if fi, err := os.Stat(dst); err == nil && fi.Size() > 0 && (want.size == 0 || fi.Size() == want.size) {
		log.Debug("engine already installed", "path", dst)
		return dst, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("installing the engine needs npm (Node.js) on PATH, or set %s to a libchdb.so: %w", EnvLibrary, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("creating cache dir: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "install-")
	if err != nil {
		return "", fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)

	spec := want.pkg + "@" + LibraryVersion
	log.Info("fetching engine", "package", spec)
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", spec)
	cmd.Dir = tmp
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("npm pack %s: %w", spec, err)
	}
	tgz := strings.TrimSpace(string(out))
	if i := strings.LastIndexByte(tgz, '\n'); i >= 0 {
		tgz = tgz[i+1:]
	}
	part := filepath.Join(tmp, libFile)
	if err := extractLibrary(filepath.Join(tmp, tgz), part, want.size, want.sha256); err != nil {
		return "", err
	}
	if err := os.Rename(part, dst); err != nil {
		return "", fmt.Errorf("installing %s: %w", dst, err)
	}
	log.Info("engine installed", "path", dst)
	return dst, nil
}

// extractLibrary copies package/libchdb.so out of the npm tarball to dst,
// checking size and digest when known.
func extractLibrary(tgz, dst string, size int64, sum string) error {
	f, err := os.Open(tgz)
	if err != nil {
		return fmt.Errorf("opening package: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("reading package: %w", err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("package has no %s", "package/"+libFile)
		}
		if err != nil {
			return fmt.Errorf("reading package: %w", err)
		}
		if h.Name != "package/"+libFile {
			continue
		}
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
		if err != nil {
			return fmt.Errorf("writing library: %w", err)
		}
		hash := sha256.New()
		n, err := io.Copy(io.MultiWriter(out, hash), tr)
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("writing library: %w", err)
		}
		got := hex.EncodeToString(hash.Sum(nil))
		switch {
		case n == 0:
			return errors.New("package holds an empty library")
		case size != 0 && n != size:
			return fmt.Errorf("library is %d bytes, want %d", n, size)
		case sum != "" && got != sum:
			return fmt.Errorf("library sha256 %s, want %s", got, sum)
		}
		return nil
	}
}
