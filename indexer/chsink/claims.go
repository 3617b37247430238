package chsink

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/store/inspect"
)

// ClaimTTL is how long a claim outlives its writer's last heartbeat
// (inspect.ClaimTTL, which the damage check reads by); the heartbeat is
// renewed six times as often.
const ClaimTTL = inspect.ClaimTTL

// Claims implements indexer.Claims in the writer_claims table
// (schema/0010_writer_claims.sql), for every writer of one database: the
// processes on one data dir (which share its engine) and those on one
// ClickHouse server alike.
type Claims struct {
	conn   driver.Conn
	writer string
	kind   string
	host   string
	pid    uint32

	mu   sync.Mutex
	held map[indexer.Range]uint64 // range -> claimed_us
}

var _ indexer.Claims = (*Claims)(nil)

// NewClaims returns the claims of a new writer of kind (follow, backfill)
// through conn. Start renews them until its context ends.
func NewClaims(conn driver.Conn, kind string) *Claims {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return &Claims{conn: conn, writer: hex.EncodeToString(b), kind: kind, host: inspect.Host,
		pid: uint32(os.Getpid()), held: map[indexer.Range]uint64{}}
}

// Claim takes r unless an older live claim of another writer overlaps it.
// Both writers insert, then read: the newer one sees the older and gives
// way, so two writers never both hold a block. The server stamps each
// claim as it stores it, so the claim stored first is the older.
func (c *Claims) Claim(ctx context.Context, r indexer.Range) error {
	if err := c.conn.Exec(ctx, opQuery("claim_new"), c.writer, c.kind, r.From, r.To, c.host, c.pid); err != nil {
		return fmt.Errorf("claiming blocks %s: %w", r, err)
	}
	mine, holder, err := c.holders(ctx, r)
	if err != nil {
		return err
	}
	if holder != nil {
		if err := c.put(ctx, r, mine, true); err != nil {
			return err
		}
		return holder
	}
	c.mu.Lock()
	c.held[r] = mine
	c.mu.Unlock()
	return nil
}

func (c *Claims) put(ctx context.Context, r indexer.Range, claimed uint64, release bool) error {
	var rel uint8
	if release {
		rel = 1
	}
	if err := c.conn.Exec(ctx, opQuery("claim_insert"), c.writer, c.kind, r.From, r.To, c.host, c.pid, claimed, rel); err != nil {
		return fmt.Errorf("claiming blocks %s: %w", r, err)
	}
	return nil
}

// holders reads the live claims on r: this writer's stamp for r, and the
// oldest claim of another writer made before it, as an error, or nil.
func (c *Claims) holders(ctx context.Context, r indexer.Range) (uint64, *indexer.ClaimedError, error) {
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"from": strconv.FormatUint(r.From, 10), "to": strconv.FormatUint(r.To, 10),
		"ttl": strconv.Itoa(int(ClaimTTL / time.Second))}))
	rows, err := c.conn.Query(qctx, opQuery("claim_holders"))
	if err != nil {
		return 0, nil, fmt.Errorf("reading claims on blocks %s: %w", r, err)
	}
	defer rows.Close()
	type claim struct {
		writer, kind, host string
		from, to, claimed  uint64
		pid                uint32
	}
	var all []claim
	var mine uint64
	found := false
	for rows.Next() {
		var x claim
		if err := rows.Scan(&x.writer, &x.kind, &x.from, &x.to, &x.host, &x.pid, &x.claimed); err != nil {
			return 0, nil, fmt.Errorf("reading claims on blocks %s: %w", r, err)
		}
		if x.writer == c.writer && x.from == r.From && x.to == r.To {
			mine, found = x.claimed, true
		}
		all = append(all, x)
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("reading claims on blocks %s: %w", r, err)
	}
	if !found {
		return 0, nil, fmt.Errorf("claiming blocks %s: the claim is not visible after it was stored", r)
	}
	for _, x := range all { // oldest first
		if x.writer == c.writer || x.claimed > mine || x.claimed == mine && x.writer > c.writer {
			continue
		}
		if x.host == c.host && !inspect.ProcessAlive(int(x.pid)) {
			continue // killed on this machine: no need to wait for its claim to expire
		}
		since := time.UnixMicro(int64(x.claimed)).UTC().Format(time.RFC3339)
		return mine, &indexer.ClaimedError{Range: r, Held: indexer.Range{From: x.from, To: x.to}, Kind: x.kind,
			Holder: fmt.Sprintf("%s on host %s, pid %d, since %s", x.kind, x.host, x.pid, since)}, nil
	}
	return mine, nil, nil
}

// Release gives r back.
// (Under the lock, so a renewal never writes the claim back after its
// release.)
func (c *Claims) Release(ctx context.Context, r indexer.Range) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	claimed, ok := c.held[r]
	delete(c.held, r)
	if !ok {
		return nil
	}
	return c.put(ctx, r, claimed, true)
}

// Abandon gives r up unfinished (its load failed): the claim is dead at
// once, so the damage check looks for rows the load left (see
// inspect.CheckStore), instead of after the claim expires.
func (c *Claims) Abandon(ctx context.Context, r indexer.Range) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	claimed, ok := c.held[r]
	delete(c.held, r)
	if !ok {
		return nil
	}
	if err := c.conn.Exec(ctx, opQuery("claim_insert"), c.writer, c.kind, r.From, r.To, c.host, c.pid, claimed, uint8(2)); err != nil {
		return fmt.Errorf("giving up blocks %s: %w", r, err)
	}
	return nil
}

// Start renews this writer's claims until ctx ends, then releases them
// (briefly, on a context of its own). A renewal that fails is logged: the
// writer's own statements fail on the same trouble.
func (c *Claims) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ClaimTTL / 6)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
				c.releaseAll(rctx)
				rcancel()
				return
			case <-t.C:
				if err := c.renew(ctx); err != nil && ctx.Err() == nil {
					slog.Warn("renewing this writer's claims", "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (c *Claims) snapshot() map[indexer.Range]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[indexer.Range]uint64, len(c.held))
	for r, t := range c.held {
		out[r] = t
	}
	return out
}

func (c *Claims) renew(ctx context.Context) error {
	var errs []error
	for r := range c.snapshot() {
		c.mu.Lock()
		if t, ok := c.held[r]; ok {
			errs = append(errs, c.put(ctx, r, t, false))
		}
		c.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (c *Claims) releaseAll(ctx context.Context) {
	for r := range c.snapshot() {
		_ = c.Release(ctx, r) // a claim not released expires
	}
}
