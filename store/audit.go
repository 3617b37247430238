package store

import (
	"context"

	"github.com/ethidx/ethidx/indexer"
	"github.com/ethidx/ethidx/store/inspect"
)

// Audit reads what is stored for blocks from..to (inspect.Audit); it makes
// the store the indexer.Auditor that indexer.Verify compares with the node.
func (s *Store) Audit(ctx context.Context, from, to uint64) (map[uint64]indexer.StoredBlock, error) {
	return inspect.Audit(ctx, s.Conn, from, to)
}

var _ indexer.Auditor = (*Store)(nil)
