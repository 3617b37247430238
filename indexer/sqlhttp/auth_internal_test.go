package sqlhttp

import (
	"strconv"
	"testing"
	"time"
)

func TestClientKey(t *testing.T) {
	for remote, want := range map[string]string{
		"127.0.0.1:5000":           "loopback",
		"127.8.9.10:5000":          "loopback",
		"[::1]:5000":               "loopback",
		"192.0.2.7:80":             "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:1": "2001:db8:1:2::/64",
		"[2001:db8:1:2:ff::1]:1":   "2001:db8:1:2::/64",
		"in-process":               "",
	} {
		if got := clientKey(remote); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", remote, got, want)
		}
	}
}

// TestAuthLimiter: the budget refills with time, one address does not
// spend another's, and memory stays bounded however many addresses fail.
func TestAuthLimiter(t *testing.T) {
	now := time.Unix(1e9, 0)
	a := newAuthLimiter()
	a.now = func() time.Time { return now }
	for range authBurst {
		if a.wait("x") != 0 {
			t.Fatal("refused within its budget")
		}
		a.failed("x")
	}
	if w := a.wait("x"); w <= 0 || w > authEvery {
		t.Fatalf("after its budget: wait %v", w)
	}
	if a.wait("y") != 0 {
		t.Fatal("another address is refused")
	}
	now = now.Add(authEvery)
	if a.wait("x") != 0 {
		t.Fatal("not allowed again after the refill")
	}
	a.failed("x")
	if a.wait("x") == 0 {
		t.Fatal("the refill allowed more than one try")
	}
	for i := range 3 * authAddrs {
		a.failed("addr" + strconv.Itoa(i))
	}
	if a.lru.Len() != authAddrs || len(a.addrs) != authAddrs {
		t.Fatalf("remembers %d addresses (%d in the map), want at most %d", a.lru.Len(), len(a.addrs), authAddrs)
	}
}
