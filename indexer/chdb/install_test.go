package chdb

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeNPM puts an `npm` on PATH whose `pack` drops a tarball holding
// package/libchdb.so with content lib.
func fakeNPM(t *testing.T, lib []byte) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, body := range map[string][]byte{"package/package.json": []byte("{}"), "package/libchdb.so": lib} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
		tw.Write(body)
	}
	tw.Close()
	zw.Close()
	tgz := filepath.Join(dir, "pkg.tgz")
	if err := os.WriteFile(tgz, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\n[ \"$1\" = pack ] || exit 1\ncp " + tgz + " ./chdb-lib-1.tgz\necho chdb-lib-1.tgz\n"
	if err := os.WriteFile(filepath.Join(dir, "npm"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+origPath)
}

var origPath = os.Getenv("PATH")

func TestInstall(t *testing.T) {
	lib := []byte("\x7fELF not really a library")
	sum := sha256.Sum256(lib)
	want := platformPackage{pkg: "@chdb/lib-test", size: int64(len(lib)), sha256: hex.EncodeToString(sum[:])}
	log := slog.New(slog.DiscardHandler)
	ctx := context.Background()

	fakeNPM(t, lib)
	dst := filepath.Join(t.TempDir(), "cache", "libchdb.so")
	os.MkdirAll(filepath.Dir(dst), 0o755)
	got, err := install(ctx, log, want, dst)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(got); got != dst || !bytes.Equal(b, lib) {
		t.Fatalf("installed %s: %q", got, b)
	}
	// A second run costs nothing: it does not even need npm.
	t.Setenv("PATH", "")
	if got, err := install(ctx, log, want, dst); err != nil || got != dst {
		t.Fatalf("second install: %s %v", got, err)
	}

	// A wrong digest installs nothing.
	fakeNPM(t, []byte("\x7fELF tampered library!!!"))
	dst2 := filepath.Join(filepath.Dir(dst), "other.so")
	if _, err := install(ctx, log, want, dst2); err == nil || !strings.Contains(err.Error(), "bytes") && !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("tampered library: %v", err)
	}
	if _, err := os.Stat(dst2); err == nil {
		t.Fatal("tampered library installed")
	}
}

func TestLibraryPath(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	t.Setenv(EnvLibrary, "")
	if _, err := LibraryPath(); err == nil || !strings.Contains(err.Error(), "ethidx engine install") || !strings.Contains(err.Error(), "make engine") {
		t.Fatalf("missing library: %v", err)
	}
	lib := filepath.Join(t.TempDir(), "libchdb.so")
	os.WriteFile(lib, []byte("x"), 0o644)
	t.Setenv(EnvLibrary, lib)
	if p, err := LibraryPath(); err != nil || p != lib {
		t.Fatalf("%s %v", p, err)
	}
	t.Setenv(EnvLibrary, lib+".missing")
	if _, err := LibraryPath(); err == nil {
		t.Fatal("missing override accepted")
	}
	if _, err := Open(t.TempDir(), Options{LibraryPath: "/nonexistent/libchdb.so"}); err == nil {
		t.Fatal("opened with a missing library")
	}
}
