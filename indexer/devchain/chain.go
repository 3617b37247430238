// Package devchain runs an in-process Ethereum chain that produces realistic
// traffic, for `ethidx devnet`, the demo, and tests of the follower and the
// backfill against a real go-ethereum node.
//
// Every block carries a mix of legacy, access-list, dynamic-fee, blob and
// 7702 set-code transactions, ERC-20 transfers with logs, contract
// deployments, failed transactions, payments to never-seen addresses, and
// withdrawals, and calls whose traces hold internal frames: payments
// forwarded by a contract, reverted inner calls in successful transactions,
// DELEGATECALL, STATICCALL, and contracts created by a contract (CREATE,
// CREATE2, failed creations). Reorg replaces the newest blocks with a longer
// branch, and ServeRPC exposes go-ethereum's own JSON-RPC API (eth, net,
// web3, txpool, debug, with debug_traceBlockByNumber/ByHash and go-ethereum's
// native tracers such as callTracer) over HTTP and websocket.
//
// Limits: the chain lives in memory (about 100 KB per block of traffic: it
// is an archive node, so that any block can be traced; keeping every state
// doubled it, 23 to 41 MB of heap for 400 blocks of 10-14 transactions), and
// transactions sent with eth_sendRawTransaction wait in the pool forever,
// because blocks hold only generated traffic.
//
// The chain is assembled from the same go-ethereum parts that
// ethclient/simulated wires together (node, eth service, filter system), but
// not through simulated.Backend, because that type keeps its node private (no
// RPC handler to serve over HTTP), finalizes at 32-block epochs with safe ==
// head (so a 64-block reorg would rewrite a finalized block), stamps blocks
// with the wall clock and random prevRandao (no reproducible chains), and
// runs the experimental Bogota fork rather than mainnet's rules. Here blocks
// are built by the miner from exactly the generated transactions, the chain
// runs Osaka with the BPO2 blob schedule, and finalized/safe trail the head
// by configured depths.
package devchain

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core"
	"github.com/ethereum/go-ethereum/core/rawdb"
	"github.com/ethereum/go-ethereum/core/state"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/eth"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/miner"
	"github.com/ethereum/go-ethereum/node"
	"github.com/ethereum/go-ethereum/p2p"
	"github.com/ethereum/go-ethereum/params"
	"github.com/ethereum/go-ethereum/rpc"
)

// Config describes a dev chain. The zero value is usable.
type Config struct {
	// Accounts is the number of funded accounts that send traffic
	// (default 200). They start sending gradually, one more per block, so
	// "new senders" keep appearing early in the chain.
	Accounts int
	// Seed drives keys and traffic. With a fixed GenesisTime and a non-zero
	// BlockInterval, the same seed and calls give the same block hashes.
	Seed uint64
	// MinTxs and MaxTxs bound the transactions per block (defaults 20 and
	// 60). Blocks of at least 12 transactions hold every kind of traffic
	// (one of the three failing kinds in turn).
	MinTxs, MaxTxs int
	// ChainID defaults to 1337, the id of go-ethereum's simulated chains.
	ChainID uint64
	// GenesisTime is the genesis timestamp (default: now).
	GenesisTime time.Time
	// BlockInterval is the timestamp step between blocks. Zero follows the
	// wall clock (at least one second past the parent). A fixed step lets a
	// demo lay months of history in a few seconds of mining.
	BlockInterval time.Duration
	// SafeDepth and FinalizedDepth are how far the "safe" and "finalized"
	// tags trail the head (defaults 32 and 64). Reorg never rewrites the
	// finalized block, so FinalizedDepth is also the deepest possible reorg
	// (and 128 in any case: the node keeps only the newest 128 states).
	SafeDepth, FinalizedDepth uint64
	// Logger receives one line per block; nil discards.
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Accounts <= 0 {
		c.Accounts = 200
	}
	if c.MinTxs <= 0 {
		c.MinTxs = 20
	}
	if c.MaxTxs < c.MinTxs {
		c.MaxTxs = max(c.MinTxs, 60)
	}
	if c.ChainID == 0 {
		c.ChainID = 1337
	}
	if c.GenesisTime.IsZero() {
		c.GenesisTime = time.Now()
	}
	if c.SafeDepth == 0 {
		c.SafeDepth = 32
	}
	if c.FinalizedDepth == 0 {
		c.FinalizedDepth = 64
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// ErrTooDeep is returned by Reorg when the reorg would rewrite the finalized
// block or genesis, or go deeper than MaxReorgDepth.
var ErrTooDeep = errors.New("reorg too deep")

// MaxReorgDepth is the deepest reorg possible: a branch is built on the state
// of its fork block, and the node keeps the states of the newest 128 blocks.
const MaxReorgDepth = state.TriesInMemory

// Chain is a running dev chain. Its methods are safe for concurrent use;
// block production is serialised.
type Chain struct {
	cfg    Config
	log    *slog.Logger
	stack  *node.Node
	eth    *eth.Ethereum
	bc     *core.BlockChain
	server *rpc.Server
	client *ethclient.Client

	mu      sync.Mutex // held while a block or a branch is produced
	gen     *generator
	reorgs  int
	closed  bool
	servers []*http.Server
}

// New starts a dev chain at its genesis block.
func New(cfg Config) (*Chain, error) {
	cfg.setDefaults()
	gen, err := newGenerator(cfg)
	if err != nil {
		return nil, err
	}

	nodeConf := node.DefaultConfig
	nodeConf.DataDir = "" // in memory
	nodeConf.P2P = p2p.Config{NoDiscovery: true, MaxPeers: 0}
	stack, err := node.New(&nodeConf)
	if err != nil {
		return nil, fmt.Errorf("creating node: %w", err)
	}

	ethConf := ethconfig.Defaults
	ethConf.Genesis = gen.genesis(chainConfig(cfg.ChainID), uint64(cfg.GenesisTime.Unix()))
	ethConf.NetworkId = cfg.ChainID
	ethConf.SyncMode = ethconfig.FullSync
	ethConf.TxPool.NoLocals = true
	ethConf.LogNoHistory = true // eth_getLogs scans blocks; no background indexer to race with reorgs
	// An archive node: every block's state is kept, so debug_traceBlock*
	// can trace any block, not just the newest 128. Only the hash scheme
	// keeps whole historical tries (the path scheme's history cannot
	// re-execute a block); in memory it costs little (see the package doc).
	ethConf.StateScheme = rawdb.HashScheme
	ethConf.NoPruning = true
	backend, err := eth.New(stack, &ethConf)
	if err != nil {
		stack.Close()
		return nil, fmt.Errorf("creating eth service: %w", err)
	}
	server, err := newRPCServer(backend)
	if err != nil {
		stack.Close()
		return nil, err
	}
	if err := stack.Start(); err != nil {
		stack.Close()
		return nil, fmt.Errorf("starting node: %w", err)
	}
	c := &Chain{
		cfg:    cfg,
		log:    cfg.Logger,
		stack:  stack,
		eth:    backend,
		bc:     backend.BlockChain(),
		server: server,
		client: ethclient.NewClient(rpc.DialInProc(server)),
		gen:    gen,
	}
	c.updateFinality(c.bc.CurrentBlock())
	if err := server.RegisterName("devnet", controlAPI{c}); err != nil {
		c.Close()
		return nil, fmt.Errorf("registering devnet API: %w", err)
	}
	return c, nil
}

// chainConfig is go-ethereum's dev chain (every fork from genesis) stopped at
// Osaka with the BPO2 blob schedule, which is what mainnet runs; the dev
// config's experimental Bogota fork would change gas accounting.
func chainConfig(chainID uint64) *params.ChainConfig {
	cfg := *params.AllDevChainProtocolChanges
	cfg.ChainID = new(big.Int).SetUint64(chainID)
	cfg.BogotaTime = nil
	zero := uint64(0)
	cfg.BPO1Time, cfg.BPO2Time = &zero, &zero
	cfg.BlobScheduleConfig = &params.BlobScheduleConfig{
		Cancun: params.DefaultCancunBlobConfig,
		Prague: params.DefaultPragueBlobConfig,
		BPO1:   params.DefaultBPO1BlobConfig,
		BPO2:   params.DefaultBPO2BlobConfig,
	}
	return &cfg
}

// Close stops the RPC listeners and the node.
func (c *Chain) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	var errs []error
	for _, s := range c.servers {
		errs = append(errs, s.Close())
	}
	c.client.Close()
	c.server.Stop()
	errs = append(errs, c.stack.Close())
	return errors.Join(errs...)
}

// Client returns an in-process client of the same RPC server ServeRPC exposes.
func (c *Chain) Client() *ethclient.Client { return c.client }

// ChainID returns the chain id.
func (c *Chain) ChainID() uint64 { return c.cfg.ChainID }

// Head returns the current head header.
func (c *Chain) Head() *types.Header { return c.bc.CurrentBlock() }

// Mine produces one block of traffic on the head and makes it canonical.
func (c *Chain) Mine(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, errors.New("dev chain is closed")
	}
	block, err := c.build(ctx, c.bc.CurrentBlock(), "ethidx devchain")
	if err != nil {
		return 0, err
	}
	if _, err := c.bc.SetCanonical(block); err != nil {
		return 0, fmt.Errorf("setting head %d: %w", block.NumberU64(), err)
	}
	c.updateFinality(block.Header())
	c.log.Debug("mined block", "number", block.NumberU64(), "hash", block.Hash(), "txs", len(block.Transactions()))
	return block.NumberU64(), nil
}

// Run mines a block every blockTime until ctx is done, then returns nil.
// A failure to mine stops it with that error.
func (c *Chain) Run(ctx context.Context, blockTime time.Duration) error {
	if blockTime <= 0 {
		return fmt.Errorf("block time must be positive, got %v", blockTime)
	}
	ticker := time.NewTicker(blockTime)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			n, err := c.Mine(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("mining: %w", err)
			}
			c.log.Info("mined block", "number", n)
		}
	}
}

// Reorg replaces the newest depth blocks with a branch of depth+1 blocks
// holding different transactions, built on the block below them, and switches
// the head to it in one step, as a node does when it sees a heavier branch.
// It fails with ErrTooDeep if the finalized block would be replaced.
func (c *Chain) Reorg(ctx context.Context, depth int) error {
	return c.ReorgTo(ctx, depth, depth+1)
}

// ReorgTo is Reorg with a branch of length blocks: depth+1 makes the chain
// grow as a heavier branch would, depth keeps its height (the head block
// itself is replaced), and less makes it shorter.
func (c *Chain) ReorgTo(ctx context.Context, depth, length int) error {
	if depth < 1 || length < 1 {
		return fmt.Errorf("reorg depth and branch length must be at least 1, got %d and %d", depth, length)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return errors.New("dev chain is closed")
	}
	head := c.bc.CurrentBlock().Number.Uint64()
	final := c.bc.CurrentFinalBlock().Number.Uint64()
	if depth > MaxReorgDepth || uint64(depth) > head || head-uint64(depth) < final {
		return fmt.Errorf("%w: depth %d at head %d, finalized %d, at most %d", ErrTooDeep, depth, head, final, MaxReorgDepth)
	}
	c.reorgs++
	extra := fmt.Sprintf("ethidx devchain reorg %d", c.reorgs)
	parent := c.bc.GetHeaderByNumber(head - uint64(depth))
	var tip *types.Block
	for range length {
		if err := ctx.Err(); err != nil {
			return err
		}
		block, err := c.build(ctx, parent, extra)
		if err != nil {
			return err
		}
		tip, parent = block, block.Header()
	}
	if _, err := c.bc.SetCanonical(tip); err != nil {
		return fmt.Errorf("switching to branch at %d: %w", tip.NumberU64(), err)
	}
	c.updateFinality(tip.Header())
	c.log.Info("reorged", "depth", depth, "fork", head-uint64(depth), "head", tip.NumberU64(), "hash", tip.Hash())
	return nil
}

// build generates traffic on parent, builds a block of exactly those
// transactions and imports it without making it canonical.
func (c *Chain) build(ctx context.Context, parent *types.Header, extra string) (*types.Block, error) {
	timestamp := parent.Time + uint64(c.cfg.BlockInterval/time.Second)
	if c.cfg.BlockInterval <= 0 {
		timestamp = max(uint64(time.Now().Unix()), parent.Time+1)
	}
	timestamp = max(timestamp, parent.Time+1)
	state, err := c.bc.StateAt(parent.Root, parent.Number, parent.Time)
	if err != nil {
		return nil, fmt.Errorf("opening state of block %d: %w", parent.Number, err)
	}
	var lastWithdrawal *types.Withdrawal
	if ws := c.bc.GetBlock(parent.Hash(), parent.Number.Uint64()).Withdrawals(); len(ws) > 0 {
		lastWithdrawal = ws[len(ws)-1]
	}
	work, err := c.gen.block(c.bc.Config(), parent, timestamp, state, lastWithdrawal)
	if err != nil {
		return nil, fmt.Errorf("generating traffic for block %d: %w", parent.Number.Uint64()+1, err)
	}
	beaconRoot := common.Hash{}
	args := &miner.BuildPayloadArgs{
		Parent:       parent.Hash(),
		Timestamp:    timestamp,
		FeeRecipient: work.feeRecipient,
		Random:       crypto.Keccak256Hash(parent.Hash().Bytes(), []byte(extra)),
		Withdrawals:  work.withdrawals,
		BeaconRoot:   &beaconRoot,
	}
	block, _, err := c.eth.Miner().BuildTestingPayload(args, work.txs, len(work.txs) == 0, []byte(extra))
	if err != nil {
		return nil, fmt.Errorf("building block %d: %w", parent.Number.Uint64()+1, err)
	}
	if len(block.Transactions()) != len(work.txs) {
		return nil, fmt.Errorf("building block %d: %d of %d transactions included", block.NumberU64(), len(block.Transactions()), len(work.txs))
	}
	if _, err := c.bc.InsertBlockWithoutSetHead(ctx, block, false); err != nil {
		return nil, fmt.Errorf("importing block %d: %w", block.NumberU64(), err)
	}
	return block, nil
}

// updateFinality moves the safe and finalized tags to their depths below head.
func (c *Chain) updateFinality(head *types.Header) {
	n := head.Number.Uint64()
	below := func(depth uint64) *types.Header {
		if depth >= n {
			return c.bc.GetHeaderByNumber(0)
		}
		return c.bc.GetHeaderByNumber(n - depth)
	}
	c.bc.SetSafe(below(c.cfg.SafeDepth))
	c.bc.SetFinalized(below(c.cfg.FinalizedDepth))
}
