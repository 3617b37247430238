package chsink

import (
	"context"
	"fmt"
)

// ChainMismatchError says the database already holds another chain.
type ChainMismatchError struct {
	Stored, Node uint64
}

func (e *ChainMismatchError) Error() string {
	return fmt.Sprintf("this database holds chain %d, but the node serves chain %d: point --rpc at a chain-%d node, or use another --database for chain %d",
		e.Stored, e.Node, e.Stored, e.Node)
}

// BindChain records chainID as the chain this database holds, or, if one
// is recorded already, checks it is the same; a different one is a
// *ChainMismatchError and nothing is written. After recording, it reads
// the ids again: of two first runs racing with different chains, at least
// the later one sees the other's id and stops.
func (s *Sink) BindChain(ctx context.Context, chainID uint64) error {
	stored, err := s.chainIDs(ctx)
	if err != nil {
		return err
	}
	if len(stored) == 0 {
		if err := s.conn.Exec(ctx, opQuery("bind_chain"), chainID); err != nil {
			return fmt.Errorf("recording chain id %d: %w", chainID, err)
		}
		if stored, err = s.chainIDs(ctx); err != nil {
			return err
		}
	}
	for _, id := range stored {
		if id != chainID {
			return &ChainMismatchError{Stored: id, Node: chainID}
		}
	}
	return nil
}

func (s *Sink) chainIDs(ctx context.Context) ([]uint64, error) {
	rows, err := s.conn.Query(ctx, opQuery("chain_ids"))
	if err != nil {
		return nil, fmt.Errorf("reading the stored chain id: %w", err)
	}
	defer rows.Close()
	var out []uint64
	for rows.Next() {
		var id uint64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reading the stored chain id: %w", err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the stored chain id: %w", err)
	}
	return out, nil
}
