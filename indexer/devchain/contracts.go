package devchain

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// The contracts below are hand-assembled EVM bytecode so the package needs no
// Solidity compiler. They do just enough to produce the receipts an indexer
// must handle: ERC-20 Transfer logs, reverts, and failed deployments, and
// the call frames a tracer reports: internal value transfers, reverted inner
// calls, DELEGATECALL and STATICCALL, and contracts created by contracts.

// transferTopic is keccak256("Transfer(address,address,uint256)"), topic 0 of
// every ERC-20 transfer log.
var transferTopic = crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))

// transferSelector is the 4-byte selector of ERC-20 transfer(address,uint256).
var transferSelector = crypto.Keccak256([]byte("transfer(address,uint256)"))[:4]

// tokenAddress is where genesis places a token, so token transfers and 7702
// delegations have a target from block 1 on. Tokens deployed later by
// traffic live at their CREATE addresses.
var tokenAddress = common.HexToAddress("0x00000000000000000000000000000000000e2020")

// tokenRuntime is a token without balances: transfer(to, amount) emits
// Transfer(msg.sender, to, amount) and returns true, and reverts when the top
// byte of amount is set, which is how traffic makes failed token transfers.
// Any selector is accepted; only the ABI layout of the arguments matters.
var tokenRuntime = concat(
	[]byte{
		0x60, 0x24, // 0x00 PUSH1 36
		0x35,       // 0x02 CALLDATALOAD        [amount]
		0x80,       // 0x03 DUP1                [amount amount]
		0x60, 0xf8, // 0x04 PUSH1 248
		0x1c,       // 0x06 SHR                 [amount>>248 amount]
		0x60, 0x41, // 0x07 PUSH1 fail
		0x57,       // 0x09 JUMPI               [amount]
		0x60, 0x00, // 0x0a PUSH1 0
		0x52,       // 0x0c MSTORE              mem[0:32] = amount
		0x60, 0x04, // 0x0d PUSH1 4
		0x35, //       0x0f CALLDATALOAD        [to]
		0x33, //       0x10 CALLER              [from to]
		0x7f, //       0x11 PUSH32 Transfer topic (0x12..0x31)
	},
	transferTopic[:],
	[]byte{
		0x60, 0x20, // 0x32 PUSH1 32
		0x60, 0x00, // 0x34 PUSH1 0
		0xa3,       // 0x36 LOG3 mem[0:32], topic, from, to
		0x60, 0x01, // 0x37 PUSH1 1
		0x60, 0x00, // 0x39 PUSH1 0
		0x52,       // 0x3b MSTORE              mem[0:32] = true
		0x60, 0x20, // 0x3c PUSH1 32
		0x60, 0x00, // 0x3e PUSH1 0
		0xf3,       // 0x40 RETURN mem[0:32]
		0x5b,       // 0x41 JUMPDEST fail
		0x60, 0x00, // 0x42 PUSH1 0
		0x80, // 0x44 DUP1
		0xfd, // 0x45 REVERT
	},
)

// tokenInitcode deploys tokenRuntime; its constructor emits the mint log
// Transfer(0, deployer, supply) like most real tokens do.
func tokenInitcode(supply *uint256.Int) []byte {
	word := supply.Bytes32()
	ctor := concat(
		[]byte{0x7f}, word[:], // PUSH32 supply
		[]byte{
			0x60, 0x00, // PUSH1 0
			0x52,       // MSTORE     mem[0:32] = supply
			0x33,       // CALLER     [to]
			0x60, 0x00, // PUSH1 0    [from=0 to]
			0x7f, //       PUSH32 Transfer topic
		},
		transferTopic[:],
		[]byte{
			0x60, 0x20, // PUSH1 32
			0x60, 0x00, // PUSH1 0
			0xa3, //       LOG3
		},
	)
	return withRuntime(ctor, tokenRuntime)
}

// revertingInitcode is a deployment whose constructor reverts: the receipt
// has status 0 and still names the would-be contract address.
var revertingInitcode = []byte{
	0x60, 0x00, // PUSH1 0
	0x80, //       DUP1
	0xfd, //       REVERT
}

// relayAddress and factoryAddress are where genesis places the relay and
// the factory, so internal calls and creations happen from block 1 on.
var (
	relayAddress   = common.HexToAddress("0x00000000000000000000000000000000000e1a70")
	factoryAddress = common.HexToAddress("0x00000000000000000000000000000000000fac70")
)

// Relay ops: the top byte of the relay's first calldata word.
const (
	relayCall         = 0 // CALL, forwarding the transaction's value
	relayDelegateCall = 1
	relayStaticCall   = 2
)

// relayRuntime makes one inner call and succeeds whatever the call did, as
// a wallet or a router does: calldata is one word, op<<248 | target, then
// the inner call's input. It CALLs the target with the transaction's value
// (op 0), DELEGATECALLs it (1) or STATICCALLs it (2, or any other op).
var relayRuntime = []byte{
	0x60, 0x20, // 0x00 PUSH1 32
	0x36,       // 0x02 CALLDATASIZE
	0x03,       // 0x03 SUB                 [n = size-32]
	0x80,       // 0x04 DUP1                [n n]
	0x60, 0x20, // 0x05 PUSH1 32
	0x60, 0x00, // 0x07 PUSH1 0
	0x37,       // 0x09 CALLDATACOPY        mem[0:n] = calldata[32:]  [n]
	0x60, 0x00, // 0x0a PUSH1 0             retSize
	0x60, 0x00, // 0x0c PUSH1 0             retOffset
	0x82,       // 0x0e DUP3                argsSize n
	0x60, 0x00, // 0x0f PUSH1 0             argsOffset
	0x60, 0x00, // 0x11 PUSH1 0
	0x35,       // 0x13 CALLDATALOAD        [w 0 n 0 0 n]
	0x80,       // 0x14 DUP1
	0x60, 0xf8, // 0x15 PUSH1 248
	0x1c,       // 0x17 SHR                 [op w ...]
	0x80,       // 0x18 DUP1
	0x15,       // 0x19 ISZERO
	0x60, 0x2a, // 0x1a PUSH1 call
	0x57,       // 0x1c JUMPI               [op w ...]
	0x60, 0x01, // 0x1d PUSH1 1
	0x14,       // 0x1f EQ                  [op==1 w ...]
	0x60, 0x26, // 0x20 PUSH1 delegate
	0x57, // 0x22 JUMPI               [w 0 n 0 0 n]
	0x5a, // 0x23 GAS
	0xfa, // 0x24 STATICCALL
	0x00, // 0x25 STOP
	0x5b, // 0x26 JUMPDEST delegate   [w 0 n 0 0 n]
	0x5a, // 0x27 GAS
	0xf4, // 0x28 DELEGATECALL
	0x00, // 0x29 STOP
	0x5b, // 0x2a JUMPDEST call       [op w 0 n 0 0 n]
	0x50, // 0x2b POP
	0x34, // 0x2c CALLVALUE
	0x90, // 0x2d SWAP1               [w value 0 n 0 0 n]
	0x5a, // 0x2e GAS
	0xf1, // 0x2f CALL
	0x00, // 0x30 STOP
}

// factoryRuntime deploys the initcode it is given, as token factories and
// wallet deployers do: calldata is a salt word, then the initcode; a zero
// salt deploys with CREATE, any other with CREATE2 and that salt. It
// succeeds whether or not the creation does.
var factoryRuntime = []byte{
	0x60, 0x20, // 0x00 PUSH1 32
	0x36,       // 0x02 CALLDATASIZE
	0x03,       // 0x03 SUB                 [n = size-32]
	0x80,       // 0x04 DUP1
	0x60, 0x20, // 0x05 PUSH1 32
	0x60, 0x00, // 0x07 PUSH1 0
	0x37,       // 0x09 CALLDATACOPY        mem[0:n] = initcode  [n]
	0x60, 0x00, // 0x0a PUSH1 0
	0x35,       // 0x0c CALLDATALOAD        [salt n]
	0x80,       // 0x0d DUP1
	0x60, 0x17, // 0x0e PUSH1 create2
	0x57,       // 0x10 JUMPI               [salt n]
	0x50,       // 0x11 POP                 [n]
	0x60, 0x00, // 0x12 PUSH1 0             offset
	0x80,       // 0x14 DUP1                value 0
	0xf0,       // 0x15 CREATE
	0x00,       // 0x16 STOP
	0x5b,       // 0x17 JUMPDEST create2    [salt n]
	0x90,       // 0x18 SWAP1               [n salt]
	0x60, 0x00, // 0x19 PUSH1 0             offset
	0x80, // 0x1b DUP1                value 0
	0xf5, // 0x1c CREATE2
	0x00, // 0x1d STOP
}

// relayCalldata encodes a relay call: op and target in one word, then the
// inner call's input.
func relayCalldata(op byte, target common.Address, input []byte) []byte {
	word := common.LeftPadBytes(target[:], 32)
	word[0] = op
	return concat(word, input)
}

// factoryCalldata encodes a factory call; salt 0 means CREATE.
func factoryCalldata(salt uint64, initcode []byte) []byte {
	var word [32]byte
	binary.BigEndian.PutUint64(word[24:], salt)
	return concat(word[:], initcode)
}

// withRuntime appends to ctor the standard tail that copies runtime out of
// the initcode and returns it as the contract's code.
func withRuntime(ctor, runtime []byte) []byte {
	const tailLen = 12
	offset := len(ctor) + tailLen
	n := len(runtime)
	tail := []byte{
		0x61, byte(n >> 8), byte(n), // PUSH2 len(runtime)
		0x80,               // DUP1
		0x60, byte(offset), // PUSH1 offset of runtime in this code
		0x60, 0x00, //         PUSH1 0
		0x39,       //         CODECOPY mem[0:len] = code[offset:offset+len]
		0x60, 0x00, //         PUSH1 0
		0xf3, //               RETURN mem[0:len]
	}
	return concat(ctor, tail, runtime)
}

// transferCalldata ABI-encodes transfer(to, amount).
func transferCalldata(to common.Address, amount *uint256.Int) []byte {
	word := amount.Bytes32()
	return concat(transferSelector, common.LeftPadBytes(to[:], 32), word[:])
}

func concat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
