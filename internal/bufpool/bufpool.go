// Package bufpool keeps large byte buffers for reuse between a loader's
// batches: the RPC source's response bodies and the sink's Native blocks,
// hundreds of megabytes a batch. Not a sync.Pool: a backfill collects
// garbage about twice a second, and a sync.Pool keeps an item through one
// collection at most, so nearly every batch would be read or encoded into
// new memory, zeroed by the allocator, faulted in by the kernel and
// collected again.
package bufpool

import (
	"slices"
	"sync"
	"time"
)

// Pool holds released buffers, up to Max bytes in all, each dropped once
// it has been unused for Idle (checked whenever the pool is used) or its
// last use filled little of it: a follower at the head writes small
// batches, and need not keep a catch-up's buffers for ever. The zero
// value holds nothing; set Max and Idle.
type Pool struct {
	Max  int
	Idle time.Duration

	mu    sync.Mutex
	bufs  []free // oldest first
	bytes int
}

type free struct {
	p    *[]byte
	used time.Time
}

// Get returns the smallest free buffer of at least n bytes' capacity
// (n < 0, a size not known: the largest), emptied, or nil.
func (f *Pool) Get(n int64) *[]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.trim(time.Now())
	best := -1
	for i, b := range f.bufs {
		c := int64(cap(*b.p))
		switch {
		case n < 0 && (best < 0 || c > int64(cap(*f.bufs[best].p))):
			best = i
		case n >= 0 && c >= n && (best < 0 || c < int64(cap(*f.bufs[best].p))):
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	p := f.bufs[best].p
	f.bufs = slices.Delete(f.bufs, best, best+1) // zeroes the freed slot
	f.bytes -= cap(*p)
	*p = (*p)[:0]
	return p
}

// Put keeps p for a later Get, unless that would hold more than Max, or p
// is a large buffer its last use filled to less than a quarter (len(*p)
// is what was used): Get hands out the smallest buffer that fits, so a
// follower's small batches would otherwise keep a catch-up's buffers in
// use for ever. Nothing may use p's bytes afterwards.
func (f *Pool) Put(p *[]byte) {
	if cap(*p) > 1<<20 && len(*p) < cap(*p)/4 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.trim(now)
	if f.bytes+cap(*p) > f.Max {
		return
	}
	f.bufs = append(f.bufs, free{p, now})
	f.bytes += cap(*p)
}

// Held reports the bytes held.
func (f *Pool) Held() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bytes
}

// trim drops the buffers unused for Idle.
func (f *Pool) trim(now time.Time) {
	k := 0
	for k < len(f.bufs) && now.Sub(f.bufs[k].used) > f.Idle {
		f.bytes -= cap(*f.bufs[k].p)
		k++
	}
	if k > 0 {
		// Copied down, so the backing array holds no dropped buffer.
		f.bufs = slices.Delete(f.bufs, 0, k)
	}
}
