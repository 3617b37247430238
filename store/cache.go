package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ethidx/ethidx/queries/daycache"
)

// Refresh caches the per-day address figures of days that changed, so the
// saved queries read them instead of computing them; it never changes a
// figure, so a failure only costs speed — unless the store is gone (the
// ethidx whose endpoint this process used has exited): that is returned,
// so the command fails rather than exit 0 with its work unconfirmed.
func (s *Store) Refresh(ctx context.Context) error { return s.RefreshThen(ctx, func() {}) }

// RefreshThen is Refresh, calling then before it logs (a spinner stops).
func (s *Store) RefreshThen(ctx context.Context, then func()) error {
	start := time.Now()
	n, err := daycache.Refresh(ctx, s.Conn)
	then()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		if perr := s.Conn.Ping(ctx); perr != nil {
			return fmt.Errorf("lost the connection to the store%s: %w", s.SharedNote(), perr)
		}
		s.logger.Warn("caching daily figures failed; queries stay exact, only slower", "err", err)
		return nil
	}
	if n > 0 {
		s.logger.Info("daily figures cached", "days", n, "seconds", fmt.Sprintf("%.1f", time.Since(start).Seconds()))
	}
	return nil
}

// OwnerGone reports whether this process used another ethidx's endpoint
// and that ethidx no longer answers: nothing this process retries can
// mend that (the owner's next start serves on another port).
func (s *Store) OwnerGone(ctx context.Context) bool {
	if s.Shared == "" || ctx.Err() != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return s.Conn.Ping(ctx) != nil
}

// SharedNote names the ethidx endpoint this process used, if another
// process owns the data dir.
func (s *Store) SharedNote() string {
	if s.Shared == "" {
		return ""
	}
	return " (the endpoint " + s.Shared + " of the ethidx that owns the data dir, which has probably exited; rerun this command)"
}
