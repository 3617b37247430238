package devchain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"
)

// The contracts below are hand-assembled EVM bytecode so the package needs no
// Solidity compiler. They do just enough to produce the receipts an indexer
// must handle: ERC-20 Transfer logs, reverts, and failed deployments.

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
