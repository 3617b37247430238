package sqlhttp

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sync/semaphore"

	"github.com/ethidx/ethidx/indexer/chdb"
)

// Memory is how the engine's memory is shared between the endpoint's users
// and the process's own statements. The engine enforces Server for
// everything it holds and PerQuery for each endpoint statement
// (chdb.Bounds); the endpoint admits a user's statement only when PerQuery
// more fits under PerUser for that user and under Server-Reserved for all
// endpoint users together, so Reserved always stays for the process's own
// writes. No endpoint user can change any of them; only the command line.
type Memory struct {
	Server   uint64 // the engine's ceiling (max_server_memory_usage)
	Reserved uint64 // of Server, never given to endpoint statements
	PerUser  uint64 // one user's endpoint statements together
	PerQuery uint64 // one endpoint statement (max_memory_usage)
}

// Endpoint is what the endpoint's users may hold together.
func (m Memory) Endpoint() uint64 { return m.Server - m.Reserved }

// Check reports limits that contradict one another.
func (m Memory) Check() error {
	switch {
	case m.Server == 0 || m.PerQuery == 0 || m.PerUser == 0:
		return fmt.Errorf("memory limits must be positive")
	case m.Reserved >= m.Server:
		return fmt.Errorf("the reserved memory (%d) must be less than the server's (%d)", m.Reserved, m.Server)
	case m.PerUser > m.Endpoint():
		return fmt.Errorf("the per-user limit (%d) exceeds what the endpoint's users may hold together, server less reserved (%d)", m.PerUser, m.Endpoint())
	case m.PerQuery > m.PerUser:
		return fmt.Errorf("the per-query limit (%d) exceeds the per-user limit (%d)", m.PerQuery, m.PerUser)
	}
	return nil
}

// reservedForWrites is what a 4-worker backfill into the embedded engine
// was measured to need at its peak (~2.4 GB of the whole process), with
// room.
const reservedForWrites = 3 << 30

// MemoryFor shares an engine ceiling of server bytes: the process's own
// writes keep 3 GiB (at most half), the endpoint's users share the rest,
// one user at most half of it and one statement a quarter, so that two
// users or four statements at their limits still fit.
func MemoryFor(server uint64) Memory {
	reserved := min(server/2, reservedForWrites)
	ep := server - reserved
	return Memory{Server: server, Reserved: reserved, PerUser: ep / 2, PerQuery: ep / 4}
}

// DefaultMemory sizes the limits from the machine: the engine gets three
// quarters of its memory (the engine's own default is 90%), leaving the
// rest to ethidx's Go side (node answers, row batches: bounded, under
// 1 GiB for a 4-worker backfill), the page cache and other programs.
func DefaultMemory() Memory { return MemoryFor(MachineMemory() / 4 * 3) }

// MachineMemory is the memory this process may use: the machine's,
// or its cgroup's limit if lower; 8 GiB when neither can be read.
func MachineMemory() uint64 {
	total := meminfoTotal()
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			total = n
		}
	}
	if total == 0 {
		total = 8 << 30
	}
	return total
}

func meminfoTotal() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// memBudget admits endpoint statements by the memory they may use: each
// takes its per-query limit from its user's share and from the endpoint's
// before it runs, and gives it back when done.
type memBudget struct {
	total   *semaphore.Weighted
	perUser map[string]*semaphore.Weighted
	m       Memory
}

func newMemBudget(m Memory, users []User) *memBudget {
	b := &memBudget{total: semaphore.NewWeighted(int64(m.Endpoint())), perUser: map[string]*semaphore.Weighted{}, m: m}
	for _, u := range users {
		b.perUser[u.Name] = semaphore.NewWeighted(int64(m.PerUser))
	}
	return b
}

// reserve takes n bytes for a statement of user, waiting while ctx lasts.
func (b *memBudget) reserve(ctx context.Context, user string, n uint64) (func(), error) {
	n = min(n, b.m.PerQuery)
	mine := b.perUser[user]
	if err := mine.Acquire(ctx, int64(n)); err != nil {
		return nil, memoryBusy(fmt.Sprintf("user %s's statements hold its %d bytes", user, b.m.PerUser))
	}
	if err := b.total.Acquire(ctx, int64(n)); err != nil {
		mine.Release(int64(n))
		return nil, memoryBusy(fmt.Sprintf("the endpoint's statements hold their %d bytes", b.m.Endpoint()))
	}
	return func() { b.total.Release(int64(n)); mine.Release(int64(n)) }, nil
}

func memoryBusy(why string) error {
	return chdb.NewError(chdb.CodeTooManySimultaneousQueries, "TOO_MANY_SIMULTANEOUS_QUERIES",
		"Too many simultaneous queries: %s (each statement counts its max_memory_usage); try again later, or lower max_memory_usage", why)
}
