package chdb_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/indexer/chdb"
	"github.com/ethidx/ethidx/indexer/chdb/chdbtest"
)

// TestBoundsHold: an untrusted statement cannot lift the engine's limits
// by SET, SETTINGS or its connection's settings, whatever its readonly
// level; the process's own statements run without them; the server
// ceiling is the configured one.
func TestBoundsHold(t *testing.T) {
	const perQuery = 64 << 20
	e, _ := chdbtest.OpenOptions(t, chdb.Options{Bounds: chdb.Bounds{
		ServerMemory: 1 << 30, MaxMemoryUsage: perQuery, MaxExecutionTime: 7 * time.Second,
	}})
	ctx := context.Background()
	run := func(st chdb.Statement) (string, error) {
		var out bytes.Buffer
		_, err := e.Run(ctx, st, &out)
		return strings.TrimSpace(out.String()), err
	}
	limits := "SELECT getSetting('max_memory_usage'), getSetting('max_execution_time')"
	for _, ro := range []uint8{0, 2} {
		untrusted := func(sql string, settings map[string]string) chdb.Statement {
			return chdb.Statement{SQL: sql, Untrusted: true, ReadOnly: ro, Settings: settings}
		}
		if got, err := run(untrusted(limits, nil)); err != nil || got != "67108864\t7" {
			t.Fatalf("readonly=%d: limits %q %v", ro, got, err)
		}
		for _, sql := range []string{
			limits + " SETTINGS max_memory_usage = 0",
			limits + " SETTINGS max_memory_usage = 100000000000",
			limits + " SETTINGS max_execution_time = 0",
			limits + " SETTINGS max_memory_usage_for_user = 1",
			limits + " SETTINGS max_untracked_memory = 10000000000",
			"SET max_memory_usage = 0",
		} {
			_, err := run(untrusted(sql, nil))
			var ce *chdb.Error
			if !errors.As(err, &ce) || ce.Name != "SETTING_CONSTRAINT_VIOLATION" && ce.Code != chdb.CodeReadonly {
				t.Errorf("readonly=%d: %s: %v", ro, sql, err)
			}
		}
		// Nor through the connection's settings (what the endpoint sets
		// from URL parameters).
		if _, err := run(untrusted(limits, map[string]string{"max_memory_usage": "0"})); err == nil {
			t.Errorf("readonly=%d: connection setting lifted the limit", ro)
		}
		// Lowering is fine.
		if got, err := run(untrusted(limits+" SETTINGS max_memory_usage = 1000", nil)); err != nil || got != "1000\t7" {
			t.Errorf("readonly=%d: lowering: %q %v", ro, got, err)
		}
		// And the limit stops a statement that would need more.
		_, err := run(untrusted("SELECT length(groupArray(number)) FROM numbers(100000000)", nil))
		var ce *chdb.Error
		if !errors.As(err, &ce) || ce.Code != chdb.CodeMemoryLimitExceeded {
			t.Errorf("readonly=%d: memory bomb: %v", ro, err)
		}
	}
	// The process's own statements are bounded only by the ceiling, also
	// with settings of their own (clickhouse-go sends max_execution_time).
	if got, err := run(chdb.Statement{SQL: limits, Settings: map[string]string{"max_execution_time": "600"}}); err != nil || got != "0\t600" {
		t.Fatalf("own statement: %q %v", got, err)
	}
	if got, err := run(chdb.Statement{SQL: "SELECT value FROM system.server_settings WHERE name = 'max_server_memory_usage'"}); err != nil || got != "1073741824" {
		t.Fatalf("server ceiling: %q %v", got, err)
	}
	// The ceiling holds for them too.
	_, err := run(chdb.Statement{SQL: "SELECT length(groupArray(number)) FROM numbers(150000000)"})
	var ce *chdb.Error
	if !errors.As(err, &ce) || ce.Code != chdb.CodeMemoryLimitExceeded || !strings.Contains(ce.Message, "total") {
		t.Fatalf("own statement over the ceiling: %v", err)
	}
	// Access management cannot lift them either.
	for _, sql := range []string{
		"ALTER USER default SETTINGS max_memory_usage = 0",
		"CREATE SETTINGS PROFILE p SETTINGS max_memory_usage = 0 TO default",
	} {
		if _, err := run(chdb.Statement{SQL: sql, Untrusted: true}); err == nil {
			t.Errorf("%s: accepted", sql)
		}
	}
}
