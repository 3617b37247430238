package rpcsource

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/rpc"
)

func calls(n int) []*call {
	cs := make([]*call, n)
	for i := range cs {
		cs[i] = &call{method: "m"}
	}
	return cs
}

func TestSplitBatch(t *testing.T) {
	cs := calls(4)
	raw := `[{"jsonrpc":"2.0","id":2,"result":{"a":[1,"x\"y"]}},
		{"jsonrpc":"2.0","id":"0","result":"0x1"},
		{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"limit exceeded"}},
		{"jsonrpc":"2.0","id":9,"result":null}]`
	if err := splitBatch([]byte(raw), cs); err != nil {
		t.Fatal(err)
	}
	if string(cs[0].result) != `"0x1"` || string(cs[2].result) != `{"a":[1,"x\"y"]}` {
		t.Fatalf("results %q %q", cs[0].result, cs[2].result)
	}
	var re rpc.Error
	if !errors.As(cs[1].err, &re) || re.ErrorCode() != -32005 {
		t.Fatalf("call 1 error %v", cs[1].err)
	}
	if !errors.Is(cs[3].err, errMissingAnswer) {
		t.Fatalf("call 3 error %v", cs[3].err)
	}

	// A single error object answers a whole batch.
	cs = calls(2)
	err := splitBatch([]byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}`), cs)
	if !errors.As(err, &re) || re.ErrorCode() != -32600 {
		t.Fatalf("batch error %v", err)
	}

	for _, bad := range []string{``, `[`, `[{"id":0,"result":"0x1"}`, `<html>502</html>`, `[{"id":0,"result":"0x1"}] x`} {
		if err := splitBatch([]byte(bad), calls(1)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzSplitBatch(f *testing.F) {
	f.Add([]byte(`[{"jsonrpc":"2.0","id":0,"result":{"number":"0x1"}},{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}]`))
	f.Add([]byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"x"}}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cs := calls(3)
		if splitBatch(raw, cs) != nil {
			return
		}
		for _, c := range cs {
			if c.err != nil && c.result != nil {
				t.Fatal("call with both a result and an error")
			}
		}
	})
}
