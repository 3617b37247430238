package sqlhttp

import (
	"container/list"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ethidx/ethidx/indexer/chdb"
)

// authLimiter slows down password guessing per client address and user
// name. Each address may fail to authenticate as one user authBurst
// times, then once per authEvery; past that its requests for that user
// are refused before their credentials are checked (429 with Retry-After,
// no password compared and nothing read), so guessing runs at that pace.
// Names that are no user share one budget per address. Refusing at once,
// rather than answering late, holds no goroutine or connection slot for
// the attacker. Other addresses are not affected, nor other users from the
// same address (a local attacker guessing the admin's password does not
// lock out Grafana's user on loopback), nor the process's own account (its
// requests come in-process, not from an address); a success never counts.
//
// Memory is bounded: at most authAddrs address and user pairs are
// remembered, the one that failed least recently forgotten first; a pair
// whose budget has refilled is as good as forgotten.
type authLimiter struct {
	mu    sync.Mutex
	addrs map[string]*list.Element // of *authEntry
	lru   *list.List               // most recently failed first
	max   int
	every time.Duration
	burst int
	now   func() time.Time
}

type authEntry struct {
	key string
	lim *rate.Limiter
}

const (
	authBurst = 10
	authEvery = time.Second
	authAddrs = 16384 // ~3 MB at most
)

func newAuthLimiter() *authLimiter {
	return &authLimiter{addrs: map[string]*list.Element{}, lru: list.New(), max: authAddrs,
		every: authEvery, burst: authBurst, now: time.Now}
}

// authKey is what a request's failures are counted against: its client
// address and the user it claims, if that user exists.
func authKey(client, user string, exists bool) string {
	if client == "" {
		return ""
	}
	if !exists {
		user = ""
	}
	return client + " " + user
}

// clientKey is the address of a request: the IP of the peer (never a
// header a client sets), IPv6 by its /64 (what one host is given), and
// every loopback address as one (any local account can use all of
// 127.0.0.0/8, so rotating through them must not reset the budget).
// Requests from this process have none.
func clientKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return "" // in-process
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return host
	case ip.IsLoopback():
		return "loopback"
	case ip.To4() != nil:
		return ip.To4().String()
	default:
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
}

// wait is how long key must wait before its next attempt is checked; zero
// if it may try now.
func (a *authLimiter) wait(key string) time.Duration {
	if key == "" {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	el, ok := a.addrs[key]
	if !ok {
		return 0
	}
	now := a.now()
	lim := el.Value.(*authEntry).lim
	if lim.TokensAt(now) >= 1 {
		return 0
	}
	return max(time.Duration((1-lim.TokensAt(now))*float64(a.every)), time.Nanosecond)
}

// failed counts one failed authentication from key.
func (a *authLimiter) failed(key string) {
	if key == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	el, ok := a.addrs[key]
	if ok {
		a.lru.MoveToFront(el)
	} else {
		el = a.lru.PushFront(&authEntry{key: key, lim: rate.NewLimiter(rate.Every(a.every), a.burst)})
		a.addrs[key] = el
		for a.lru.Len() > a.max {
			old := a.lru.Back()
			a.lru.Remove(old)
			delete(a.addrs, old.Value.(*authEntry).key)
		}
	}
	el.Value.(*authEntry).lim.AllowN(now, 1)
}

// writeSlowDown refuses a request from an address that failed too often.
func writeSlowDown(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Retry-After", strconv.Itoa(secs))
	h.Set("X-ClickHouse-Exception-Code", strconv.Itoa(chdb.CodeAuthenticationError))
	w.WriteHeader(http.StatusTooManyRequests)
	io.WriteString(w, fmt.Sprintf("Code: %d. DB::Exception: Too many failed authentications from this address: try again in %d s. (AUTHENTICATION_FAILED)\n",
		chdb.CodeAuthenticationError, secs))
}
