package rpcsource

import (
	"context"

	"golang.org/x/time/rate"
)

// limiter caps calls per second (--rps) with golang.org/x/time/rate's token
// bucket, holding up to one second of calls.
type limiter struct{ l *rate.Limiter }

func newLimiter(rps float64) *limiter {
	if rps <= 0 {
		return nil
	}
	return &limiter{rate.NewLimiter(rate.Limit(rps), max(int(rps), 1))}
}

// wait blocks until n calls may be made. A nil limiter never waits. A
// batch larger than the bucket is taken a bucketful at a time, so it still
// goes through at the average rate.
func (l *limiter) wait(ctx context.Context, n int) error {
	if l == nil {
		return nil
	}
	for n > 0 {
		k := min(n, l.l.Burst())
		if err := l.l.WaitN(ctx, k); err != nil {
			return err
		}
		n -= k
	}
	return nil
}
