package rpcsource

import (
	"context"
	"sync"
	"time"
)

// limiter is a token bucket holding up to one second of calls. Taking more
// tokens than are available goes into debt and waits it off, so a batch
// larger than the bucket still goes through at the average rate.
// (golang.org/x/time/rate is not in the module graph; this is all we need.)
type limiter struct {
	rps    float64
	mu     sync.Mutex
	tokens float64
	last   time.Time
}

func newLimiter(rps float64) *limiter {
	if rps <= 0 {
		return nil
	}
	return &limiter{rps: rps, tokens: max(rps, 1), last: time.Now()}
}

// wait blocks until n calls may be made. A nil limiter never waits.
func (l *limiter) wait(ctx context.Context, n int) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	l.tokens = min(max(l.rps, 1), l.tokens+now.Sub(l.last).Seconds()*l.rps)
	l.last = now
	l.tokens -= float64(n)
	var d time.Duration
	if l.tokens < 0 {
		d = time.Duration(-l.tokens / l.rps * float64(time.Second))
	}
	l.mu.Unlock()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
