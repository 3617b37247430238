package bufpool

import (
	"testing"
	"time"
)

func TestPool(t *testing.T) {
	f := Pool{Max: 1 << 20, Idle: time.Minute}
	buf := func(n int) *[]byte { b := make([]byte, 0, n); return &b }
	for _, n := range []int{100, 10, 1000} {
		f.Put(buf(n)) // small: kept even empty
	}
	if p := f.Get(50); p == nil || cap(*p) != 100 {
		t.Fatalf("Get(50) = %v, want the 100-byte buffer (the smallest that fits)", p)
	}
	if p := f.Get(-1); p == nil || cap(*p) != 1000 {
		t.Fatalf("Get(-1) = %v, want the largest", p)
	}
	if p := f.Get(11); p != nil {
		t.Fatalf("Get(11) = %d bytes, want none: only 10 left", cap(*p))
	}
	if f.Held() != 10 || len(f.bufs) != 1 {
		t.Fatalf("%d bytes in %d buffers, want 10 in 1", f.Held(), len(f.bufs))
	}
	full := buf(f.Max)
	*full = (*full)[:f.Max]
	f.Put(full) // over the bound: dropped
	if f.Held() != 10 {
		t.Fatalf("holds %d bytes after a buffer over the bound", f.Held())
	}
	f.bufs[0].used = time.Now().Add(-2 * f.Idle)
	f.Put(buf(20))
	if f.Held() != 20 || len(f.bufs) != 1 || cap(*f.bufs[0].p) != 20 {
		t.Fatalf("the idle buffer was kept: %d bytes in %d buffers", f.Held(), len(f.bufs))
	}
	if all := f.bufs[:cap(f.bufs)]; len(all) > 1 && all[len(all)-1].p != nil {
		t.Fatal("a dropped buffer is still referenced by the pool's array")
	}
	big := buf(8 << 20)
	*big = append(*big, make([]byte, 1<<20)...) // an eighth used
	f.Put(big)
	if f.Held() != 20 {
		t.Fatalf("kept a large buffer its last use filled to an eighth: %d bytes held", f.Held())
	}
	b := buf(64)
	*b = append(*b, "used"...)
	f.Put(b)
	if p := f.Get(64); p == nil || len(*p) != 0 {
		t.Fatalf("Get returned a buffer that is not empty: %q", *p)
	}
}
