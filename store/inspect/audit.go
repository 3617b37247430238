package inspect

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/ethereum/go-ethereum/common"

	"github.com/ethidx/ethidx/indexer"
)

// Audit reads what is stored for blocks from..to, for indexer.Verify to
// compare with the node's blocks (see sql/audit.sql).
func Audit(ctx context.Context, conn driver.Conn, from, to uint64) (map[uint64]indexer.StoredBlock, error) {
	ctx = withParams(ctx, map[string]uint64{"from": from, "to": to})
	rows, err := conn.Query(ctx, opQuery("audit"))
	if err != nil {
		return nil, fmt.Errorf("auditing blocks %d-%d: %w", from, to, err)
	}
	defer rows.Close()
	out := map[uint64]indexer.StoredBlock{}
	for rows.Next() {
		var (
			b             indexer.StoredBlock
			hash          string
			txc, logc, wc uint32
			txr, logr, wr uint64
			tc            *uint32
		)
		if err := rows.Scan(&b.Number, &hash, &txc, &logc, &wc, &txr, &logr, &wr, &tc, &b.TraceRows); err != nil {
			return nil, fmt.Errorf("auditing blocks: %w", err)
		}
		b.Hash = common.BytesToHash([]byte(hash))
		b.TxCount, b.LogCount, b.WithdrawalCount = uint64(txc), uint64(logc), uint64(wc)
		b.TxRows, b.LogRows, b.WithdrawalRows = txr, logr, wr
		if tc != nil {
			n := uint64(*tc)
			b.TraceCount = &n
		}
		out[b.Number] = b
	}
	return out, rows.Err()
}
