package rpcsource

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/ethidx/ethidx/indexer"
)

// encodeTx writes what go-ethereum's Transaction.MarshalBinary writes,
// for every transaction of the fixtures (all five types) and of
// generated blocks, and its keccak is the node's hash.
func TestEncodeTxIsMarshalBinary(t *testing.T) {
	fs := loadFixtures(t)
	gen := generatedSet(t, 2)
	types_ := map[uint8]int{}
	var buf bytes.Buffer
	for _, f := range append(fs, gen...) {
		b, err := DecodeBlock(f.block, f.receipts, ProofStructure)
		if err != nil {
			t.Fatalf("block %d: %v", f.number, err)
		}
		for i := range b.Transactions {
			tx := &b.Transactions[i]
			inner, err := txData(tx)
			if err != nil {
				t.Fatalf("block %d tx %d: %v", f.number, i, err)
			}
			buf.Reset()
			buf.WriteString("kept") // what is already in the buffer stays
			if err := encodeTx(&buf, tx.Type, inner); err != nil {
				t.Fatal(err)
			}
			want, err := types.NewTx(inner).MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			if !bytes.HasPrefix(got, []byte("kept")) || !bytes.Equal(got[4:], want) {
				t.Fatalf("block %d tx %d (type %d): encodeTx wrote %x, MarshalBinary %x", f.number, i, tx.Type, got, want)
			}
			if h := crypto.Keccak256Hash(want); h != tx.Hash {
				t.Fatalf("block %d tx %d: hashes to %s, node says %s", f.number, i, h, tx.Hash)
			}
			types_[tx.Type]++
		}
	}
	for typ := uint8(0); typ <= types.SetCodeTxType; typ++ {
		if types_[typ] == 0 {
			t.Errorf("no transaction of type %d checked", typ)
		}
	}
}

// A receipt's bloom through the cache is go-ethereum's CreateBloom of its
// logs, over many receipts sharing one cache: items met before (hits),
// items whose entry another item took (collisions), the zero address
// and zero topic (an empty entry is all zeros too).
func TestBloomCacheExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	c := &bloomCache{kh: crypto.NewKeccakState()}
	var addrs []common.Address
	var topics []common.Hash
	// Pairs that share an entry, so each evicts the other.
	seenA := map[uint64]common.Address{}
	for len(addrs) < 40 {
		var a common.Address
		binary.LittleEndian.PutUint64(a[12:], r.Uint64())
		binary.LittleEndian.PutUint64(a[4:], r.Uint64())
		s := bloomSlot(binary.LittleEndian.Uint64(a[12:]), binary.LittleEndian.Uint64(a[4:]), addrBits)
		if o, ok := seenA[s]; ok && o != a {
			addrs = append(addrs, o, a)
		}
		seenA[s] = a
	}
	seenT := map[uint64]common.Hash{}
	for len(topics) < 40 {
		var h common.Hash
		binary.LittleEndian.PutUint64(h[24:], r.Uint64())
		binary.LittleEndian.PutUint64(h[16:], r.Uint64())
		s := bloomSlot(binary.LittleEndian.Uint64(h[24:]), binary.LittleEndian.Uint64(h[16:]), topicBits)
		if o, ok := seenT[s]; ok && o != h {
			topics = append(topics, o, h)
		}
		seenT[s] = h
	}
	addrs = append(addrs, common.Address{})
	topics = append(topics, common.Hash{})
	for range 200 { // fresh ones
		addrs = append(addrs, common.BytesToAddress(crypto.Keccak256(u64Bytes(r.Uint64N(1<<40)+1))))
		topics = append(topics, crypto.Keccak256Hash(u64Bytes(r.Uint64N(1<<40)+2)))
	}
	for n := 0; n < 3000; n++ {
		var logs []indexer.Log
		var geth []*types.Log
		for range r.IntN(6) {
			l := indexer.Log{Address: addrs[r.IntN(len(addrs))]}
			for range r.IntN(5) {
				l.Topics = append(l.Topics, topics[r.IntN(len(topics))])
			}
			logs = append(logs, l)
			geth = append(geth, &types.Log{Address: l.Address, Topics: l.Topics})
		}
		var got types.Bloom
		for k := range logs {
			c.add(&got, &logs[k])
		}
		if want := types.CreateBloom(&types.Receipt{Logs: geth}); got != want {
			t.Fatalf("receipt %d: the cache gives bloom %x, CreateBloom %x", n, got, want)
		}
	}
}

func u64Bytes(x uint64) []byte { return binary.BigEndian.AppendUint64(nil, x) }
