package chdb

import (
	"bufio"
	"log/slog"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// captureStderr runs f with the process's standard error (file descriptor
// 2, which the engine writes to directly) sent to a pipe, and logs what
// arrived there at debug level. The engine announces where its log goes
// on standard error when it boots ("Logging warning to ..."); a user's
// terminal should show ethidx's output only. If the descriptor cannot be
// redirected, f runs as is.
func captureStderr(log *slog.Logger, f func()) {
	r, w, err := os.Pipe()
	if err != nil {
		f()
		return
	}
	saved, err := unix.Dup(2)
	if err != nil {
		r.Close()
		w.Close()
		f()
		return
	}
	lines := make(chan []string, 1)
	go func() {
		var got []string
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			got = append(got, sc.Text())
		}
		lines <- got
	}()
	if err := unix.Dup2(int(w.Fd()), 2); err != nil {
		unix.Close(saved)
		w.Close()
		<-lines
		r.Close()
		f()
		return
	}
	defer func() {
		_ = unix.Dup2(saved, 2)
		unix.Close(saved)
		w.Close()
		for _, l := range <-lines {
			if l = strings.TrimSpace(l); l != "" {
				log.Debug("engine", "said", l)
			}
		}
		r.Close()
	}()
	f()
}
