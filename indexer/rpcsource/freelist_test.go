package rpcsource

import (
	"testing"
	"time"
)

func TestFreeList(t *testing.T) {
	var f freeList
	buf := func(n int) *[]byte { b := make([]byte, 0, n); return &b }
	for _, n := range []int{100, 10, 1000} {
		f.put(buf(n))
	}
	if p := f.get(50); p == nil || cap(*p) != 100 {
		t.Fatalf("get(50) = %v, want the 100-byte buffer (the smallest that fits)", p)
	}
	if p := f.get(-1); p == nil || cap(*p) != 1000 {
		t.Fatalf("get(-1) = %v, want the largest", p)
	}
	if p := f.get(11); p != nil {
		t.Fatalf("get(11) = %d bytes, want none: only 10 left", cap(*p))
	}
	if f.bytes != 10 || len(f.bufs) != 1 {
		t.Fatalf("%d bytes in %d buffers, want 10 in 1", f.bytes, len(f.bufs))
	}
	f.put(buf(bodyFreeMax)) // over the bound: dropped
	if f.bytes != 10 {
		t.Fatalf("holds %d bytes after a buffer over the bound", f.bytes)
	}
	f.bufs[0].used = time.Now().Add(-2 * bodyFreeIdle)
	f.put(buf(20))
	if f.bytes != 20 || len(f.bufs) != 1 || cap(*f.bufs[0].p) != 20 {
		t.Fatalf("the idle buffer was kept: %d bytes in %d buffers", f.bytes, len(f.bufs))
	}
	if all := f.bufs[:cap(f.bufs)]; all[len(all)-1].p != nil && len(all) > 1 {
		t.Fatal("a dropped buffer is still referenced by the list's array")
	}
}
