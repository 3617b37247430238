package rpcsource

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
)

// The trace decoders and checks never panic on any answer, and what they
// accept is well formed: frames of existing transactions, each with a
// value.
func FuzzTraces(f *testing.F) {
	f.Add([]byte(`[{"txHash":"0x0000000000000000000000000000000000000000000000000000000000000001","result":{"type":"CALL","from":"0x00000000000000000000000000000000000000aa","to":"0x00000000000000000000000000000000000000bb","value":"0x1","gas":"0x5208","gasUsed":"0x5208","input":"0xa9059cbb00","calls":[{"type":"DELEGATECALL","from":"0x00000000000000000000000000000000000000bb","to":"0x00000000000000000000000000000000000000cc","input":"0x"}]}}]`))
	f.Add([]byte(`[{"type":"call","action":{"callType":"call","from":"0x00000000000000000000000000000000000000aa","to":"0x00000000000000000000000000000000000000bb","value":"0x1","gas":"0x0","input":"0x"},"result":{"gasUsed":"0x0","output":"0x"},"traceAddress":[],"subtraces":0,"transactionPosition":0,"blockHash":"0x0000000000000000000000000000000000000000000000000000000000000002"},{"type":"reward","action":{}}]`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, parity := range []bool{false, true} {
			to := common.HexToAddress("0xbb")
			b := &indexer.Block{Number: 1, Hash: common.HexToHash("0x02"), Transactions: []indexer.Transaction{{
				Hash: common.HexToHash("0x01"), From: common.HexToAddress("0xaa"), To: &to, Value: big.NewInt(1)}}}
			var err error
			if parity {
				err = decodeParityTraces(b, raw)
			} else {
				err = decodeCallTraces(b, raw)
			}
			if err == nil {
				err = checkTraces(b)
			}
			if err != nil {
				continue
			}
			for _, tr := range b.Traces {
				if tr.Value == nil || int(tr.TxIndex) >= len(b.Transactions) || tr.CallType == "" {
					t.Fatalf("accepted a malformed frame %+v", tr)
				}
			}
		}
	})
}
