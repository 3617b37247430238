package devchain

import (
	"context"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/rpc"
)

func TestSmoke(t *testing.T) {
	start := time.Now()
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	t.Log("new", time.Since(start))
	ctx := context.Background()
	for i := 0; i < 30; i++ {
		n, err := c.Mine(ctx)
		if err != nil {
			t.Fatal(err)
		}
		_ = n
	}
	t.Log("mined", time.Since(start))
	b, err := c.Client().BlockByNumber(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(b.NumberU64(), len(b.Transactions()))
	rs, err := c.Client().BlockReceipts(ctx, rpcNum(b.NumberU64()))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		t.Log(r.Type, r.Status, len(r.Logs), r.ContractAddress, r.GasUsed)
	}
}

func rpcNum(n uint64) rpc.BlockNumberOrHash { return rpc.BlockNumberOrHashWithNumber(rpc.BlockNumber(n)) }
