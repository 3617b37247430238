package indexer

import (
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// Block is one canonical block with everything ethidx stores about it. A
// Source returns it fully checked: the transactions, receipts and logs
// belong to this block and agree with each other.
type Block struct {
	Number           uint64
	Hash             common.Hash
	ParentHash       common.Hash
	Timestamp        uint64 // unix seconds
	Miner            common.Address
	GasLimit         uint64
	GasUsed          uint64
	BaseFeePerGas    *big.Int // nil before London
	Difficulty       *big.Int
	Size             uint64
	ExtraData        []byte
	StateRoot        common.Hash
	TransactionsRoot common.Hash
	ReceiptsRoot     common.Hash
	BlobGasUsed      *uint64      // nil before Cancun
	ExcessBlobGas    *uint64      // nil before Cancun
	ParentBeaconRoot *common.Hash // nil before Cancun
	WithdrawalsRoot  *common.Hash // nil before Shanghai

	Transactions []Transaction
	Logs         []Log
	Withdrawals  []Withdrawal

	// Traced says the source fetched the block's call frames (--traces):
	// Traces is then every frame of every transaction, and empty only for
	// a block without transactions. Untraced blocks leave both zero.
	Traced bool
	Traces []Trace
}

// Transaction is a transaction with its receipt fields merged in, so the
// common questions (who paid what, did it succeed, what did it create) need
// no join.
type Transaction struct {
	BlockNumber    uint64
	BlockTimestamp uint64
	BlockHash      common.Hash
	Index          uint32
	Hash           common.Hash
	Type           uint8
	From           common.Address
	To             *common.Address // nil for contract creation
	Nonce          uint64
	Value          *big.Int
	Gas            uint64
	GasPrice       *big.Int // as the node reports it (effective for type >= 2)
	MaxFeePerGas   *big.Int // type >= 2
	MaxPriorityFee *big.Int // type >= 2
	MaxFeePerBlob  *big.Int // type 3
	Input          []byte
	AccessList     []AccessTuple   // type >= 1
	BlobHashes     []common.Hash   // type 3
	Authorizations []Authorization // type 4

	// Signature. V is as the node reports it: 27/28, 35+2·chainId+parity
	// for EIP-155 legacy transactions, the parity itself for typed ones.
	// YParity is the recovery bit, derived from V where the node omits it.
	// ChainID is the chain the transaction was signed for: nil only for a
	// legacy transaction without EIP-155 replay protection.
	V, R, S *big.Int
	YParity uint8
	ChainID *big.Int

	// Receipt fields.
	Status            *uint8 // nil before Byzantium (receipts carried a state root)
	GasUsed           uint64
	CumulativeGasUsed uint64
	EffectiveGasPrice *big.Int
	ContractAddress   *common.Address
	BlobGasUsed       *uint64
	BlobGasPrice      *big.Int
	LogCount          uint32
}

// AccessTuple is one entry of an EIP-2930 access list.
type AccessTuple struct {
	Address     common.Address
	StorageKeys []common.Hash
}

// Authorization is one EIP-7702 set-code authorization as signed.
type Authorization struct {
	ChainID *big.Int
	Address common.Address
	Nonce   uint64
	YParity uint8
	R, S    *big.Int
}

// Log is one event log, keyed by its position in the block.
type Log struct {
	BlockNumber    uint64
	BlockTimestamp uint64
	BlockHash      common.Hash
	TxIndex        uint32
	TxHash         common.Hash
	Index          uint32 // log index within the block
	Address        common.Address
	Topics         []common.Hash
	Data           []byte
}

// Trace is one call frame of a transaction, as a node's call tracer
// reports it: the top-level call (TraceAddress empty) and every call,
// creation and self-destruct it made, in execution order. Frame is that
// order's index within the transaction, so (BlockNumber, TxIndex, Frame) is
// the frame's chain position.
type Trace struct {
	BlockNumber    uint64
	BlockTimestamp uint64
	TxIndex        uint32
	TxHash         common.Hash
	Frame          uint32
	// TraceAddress is the path from the top-level frame: [] for it, [0]
	// for its first child, [0 2] for that child's third child.
	TraceAddress []uint32
	// CallType is CALL, STATICCALL, DELEGATECALL, CALLCODE, CREATE,
	// CREATE2 or SELFDESTRUCT, upper case as go-ethereum's call tracer
	// names them (trace_block's lower-case names are mapped to these).
	CallType string
	From     common.Address
	// To is the callee, the created contract, or the self-destruct's
	// beneficiary; nil for a creation that failed.
	To      *common.Address
	Value   *big.Int // wei moved by the frame; never nil
	Gas     uint64
	GasUsed uint64
	// Selector is the first four bytes of the input (zero-padded when the
	// input is shorter); InputSize is its whole length.
	Selector  [4]byte
	InputSize uint32
	// Error is empty when the frame succeeded, else the node's reason
	// ("execution reverted", "out of gas", ...).
	Error string
}

// Depth is the frame's call depth: 0 for the top-level call.
func (t *Trace) Depth() int { return len(t.TraceAddress) }

// Withdrawal is one beacon-chain withdrawal credited in a block.
type Withdrawal struct {
	BlockNumber    uint64
	BlockTimestamp uint64
	Index          uint64
	ValidatorIndex uint64
	Address        common.Address
	AmountGwei     uint64
}

// Header is the part of a block needed to follow the chain and detect reorgs.
type Header struct {
	Number     uint64
	Hash       common.Hash
	ParentHash common.Hash
	Timestamp  uint64
}

// Header returns the block's header fields.
func (b *Block) Header() Header {
	return Header{Number: b.Number, Hash: b.Hash, ParentHash: b.ParentHash, Timestamp: b.Timestamp}
}
