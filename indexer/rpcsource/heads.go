package rpcsource

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
)

// Heads returns a channel that ticks on every new head announced by the
// first websocket URL in urls (eth_subscribe newHeads), so a follower can
// load a block as soon as it appears instead of at the next poll. It
// returns nil when no URL is a websocket. A lost subscription is redialled;
// meanwhile the follower's polling carries on.
func Heads(ctx context.Context, urls []string, log *slog.Logger) <-chan struct{} {
	var ws string
	for _, u := range urls {
		if strings.HasPrefix(u, "ws://") || strings.HasPrefix(u, "wss://") {
			ws = u
			break
		}
	}
	if ws == "" {
		return nil
	}
	out := make(chan struct{}, 1)
	go func() {
		for ctx.Err() == nil {
			if err := watchHeads(ctx, ws, out); err != nil {
				log.Warn("newHeads subscription lost; polling meanwhile", "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
			}
		}
	}()
	return out
}

func watchHeads(ctx context.Context, url string, out chan<- struct{}) error {
	client, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return err
	}
	defer client.Close()
	heads := make(chan *types.Header, 16)
	sub, err := client.SubscribeNewHead(ctx, heads)
	if err != nil {
		return fmt.Errorf("subscribing to newHeads: %w", err)
	}
	defer sub.Unsubscribe()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-sub.Err():
			return err
		case <-heads:
			select {
			case out <- struct{}{}:
			default: // a wake-up is already pending
			}
		}
	}
}
