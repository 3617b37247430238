// Package querytest builds a small chain for tests of the saved queries
// and reports, and recomputes the saved views' figures from it in Go, by
// their definitions only, for comparison.
package querytest

import (
	"math"
	"math/big"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/ethidx/ethidx/indexer"
)

// A small hand-built chain with the shapes the figures must survive:
// days of 4 or 5 blocks (a 5-hour block time never aligns with midnight),
// a month boundary, failed transactions, contract creations, blob
// transactions, an address pool that grows so some addresses are new each
// day while others return.

// ChainStart is the timestamp of block 0.
var ChainStart = time.Date(2025, 11, 29, 0, 0, 0, 0, time.UTC)

const blockTime = 5 * 3600

// Chain returns blocks first..first+n-1 as a chain whose history
// starts at ChainStart. seed picks the traffic, so two seeds from the same
// first block give competing forks (different hashes and transactions).
func Chain(first, n uint64, seed uint64) []*indexer.Block {
	var out []*indexer.Block
	parent := common.Hash{}
	for num := first; num < first+n; num++ {
		r := rand.New(rand.NewPCG(num, seed))
		tokens := rand.New(rand.NewPCG(num, seed^0x70c3)) // the token traffic, apart so the rest stays as it was
		b := &indexer.Block{
			Number:        num,
			Hash:          common.BigToHash(new(big.Int).SetUint64(num<<20 | seed<<8 | 0xb)),
			ParentHash:    parent,
			Timestamp:     uint64(ChainStart.Unix()) + num*blockTime,
			GasLimit:      30_000_000,
			BaseFeePerGas: big.NewInt(int64(1_000_000_000 + num)),
			Difficulty:    new(big.Int),
		}
		parent = b.Hash
		pool := 8 + int(num)/3 // grows: new addresses keep appearing
		ntx := 1 + r.IntN(4)
		if num%11 == 0 {
			ntx = 0 // some blocks are empty
		}
		for i := 0; i < ntx; i++ {
			status := uint8(1)
			if r.IntN(7) == 0 {
				status = 0
			}
			t := indexer.Transaction{
				BlockNumber: num, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
				Index:             uint32(i),
				Hash:              common.BigToHash(new(big.Int).SetUint64(num<<24 | seed<<16 | uint64(i))),
				Type:              2,
				From:              addr(r.IntN(pool)),
				Nonce:             uint64(i),
				Value:             big.NewInt(int64(r.IntN(1000))),
				Gas:               100_000,
				GasPrice:          big.NewInt(2_000_000_000),
				Status:            &status,
				GasUsed:           21_000 + uint64(r.IntN(50_000)),
				EffectiveGasPrice: big.NewInt(2_000_000_000),
			}
			switch k := r.IntN(10); {
			case k == 0: // contract creation, failed ones included
				c := common.BigToAddress(new(big.Int).SetUint64(1<<40 | num<<8 | uint64(i)))
				t.ContractAddress = &c
			case k == 1: // blob transaction
				to := addr(r.IntN(pool))
				t.To, t.Type = &to, 3
				t.BlobHashes = make([]common.Hash, 1+r.IntN(3))
				bg := uint64(131072 * len(t.BlobHashes))
				t.BlobGasUsed, t.BlobGasPrice = &bg, big.NewInt(7)
			default:
				to := addr(r.IntN(pool))
				t.To = &to
			}
			if t.To != nil && t.To.Big().Int64() < 0xa0000+4 {
				t.Input = []byte{0xa9, 0x05, 0x9c, 0xbb} // a call to one of four "contracts"
			}
			if t.BlobGasUsed != nil {
				bg := *t.BlobGasUsed
				if b.BlobGasUsed != nil {
					bg += *b.BlobGasUsed
				}
				b.BlobGasUsed = &bg
			}
			b.GasUsed += t.GasUsed
			t.CumulativeGasUsed = b.GasUsed
			if tokens.IntN(3) == 0 {
				// An ERC-20 transfer: to an address only tokens reach, or
				// the zero address (a burn); amount 0 sometimes (poisoning).
				to := addr(10000 + tokens.IntN(pool))
				if tokens.IntN(8) == 0 {
					to = common.Address{}
				}
				amount := common.BigToHash(big.NewInt(int64(tokens.IntN(3))))
				b.Logs = append(b.Logs, indexer.Log{
					BlockNumber: num, BlockTimestamp: b.Timestamp, BlockHash: b.Hash,
					TxIndex: t.Index, TxHash: t.Hash, Index: uint32(len(b.Logs)),
					Address: addr(3),
					Topics:  []common.Hash{transferTopic, common.BytesToHash(t.From.Bytes()), common.BytesToHash(to.Bytes())},
					Data:    amount.Bytes(),
				})
				t.LogCount++
			}
			b.Transactions = append(b.Transactions, t)
		}
		out = append(out, b)
	}
	return out
}

func addr(i int) common.Address {
	return common.BigToAddress(big.NewInt(int64(0xa0000 + i)))
}

// DayRow is a row of daily_activity, recomputed in Go for comparison.
type DayRow struct {
	Day               time.Time `ch:"day"`
	Complete          uint8     `ch:"complete"`
	Blocks            uint64    `ch:"blocks"`
	TxCount           uint64    `ch:"tx_count"`
	TxSuccess         uint64    `ch:"tx_success"`
	ActiveAddresses   uint64    `ch:"active_addresses"`
	ActiveSenders     uint64    `ch:"active_senders"`
	NewAddresses      uint64    `ch:"new_addresses"`
	NewAddressesExact uint8     `ch:"new_addresses_exact"`
	Creations         uint64    `ch:"contract_creations"`
	NewSenders        uint64    `ch:"new_senders"`
	ActiveAllParties  uint64    `ch:"active_all_parties"`
	NewAllParties     uint64    `ch:"new_all_parties"`
}

// ExpectDaily computes daily_activity from the stored canonical blocks, by
// the definitions in daily_activity.sql and nothing else.
func ExpectDaily(blocks []*indexer.Block) []DayRow {
	sorted := append([]*indexer.Block(nil), blocks...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Number < sorted[j].Number })
	stored := map[uint64]bool{}
	for _, b := range sorted {
		stored[b.Number] = true
	}
	type acc struct {
		row                      DayRow
		first, last              uint64
		active, senders, newSeen map[common.Address]bool
		newSenders, all, newAll  map[common.Address]bool
	}
	days := map[time.Time]*acc{}
	var order []time.Time
	seen := map[common.Address]bool{} // first appearance, in block order
	seenSender, seenAll := map[common.Address]bool{}, map[common.Address]bool{}
	var one *indexer.Block
	if len(sorted) > 1 && sorted[1].Number == 1 {
		one = sorted[1]
	} else if len(sorted) > 0 && sorted[0].Number == 1 {
		one = sorted[0]
	}
	for _, b := range sorted {
		day, ok := Day(b, one)
		if !ok {
			continue
		}
		a := days[day]
		if a == nil {
			a = &acc{first: b.Number, active: map[common.Address]bool{}, senders: map[common.Address]bool{}, newSeen: map[common.Address]bool{},
				newSenders: map[common.Address]bool{}, all: map[common.Address]bool{}, newAll: map[common.Address]bool{}}
			a.row.Day = day
			days[day] = a
			order = append(order, day)
		}
		a.last = b.Number
		a.row.Blocks++
		var parties []common.Address
		for _, t := range b.Transactions {
			a.row.TxCount++
			if t.Status != nil && *t.Status == 1 {
				a.row.TxSuccess++
			}
			if t.ContractAddress != nil {
				a.row.Creations++
			}
			roles := []common.Address{t.From}
			if t.To != nil {
				roles = append(roles, *t.To)
			}
			if t.ContractAddress != nil {
				roles = append(roles, *t.ContractAddress)
			}
			a.senders[t.From] = true
			if !seenSender[t.From] {
				seenSender[t.From] = true
				a.newSenders[t.From] = true
			}
			for _, x := range roles {
				a.active[x] = true
				if !seen[x] {
					seen[x] = true
					a.newSeen[x] = true
				}
			}
			parties = append(parties, roles...)
		}
		for i := range b.Logs {
			parties = append(parties, TokenParties(&b.Logs[i])...)
		}
		for _, x := range parties {
			if x == (common.Address{}) {
				continue // the zero address is never a party
			}
			a.all[x] = true
			if !seenAll[x] {
				seenAll[x] = true
				a.newAll[x] = true
			}
		}
		parties = parties[:0]
	}
	var out []DayRow
	for _, d := range order {
		a := days[d]
		r := a.row
		r.ActiveAddresses, r.ActiveSenders, r.NewAddresses = uint64(len(a.active)), uint64(len(a.senders)), uint64(len(a.newSeen))
		r.NewSenders, r.ActiveAllParties, r.NewAllParties = uint64(len(a.newSenders)), uint64(len(a.all)), uint64(len(a.newAll))
		gapless := a.last-a.first+1 == r.Blocks
		if gapless && (a.first == 0 || stored[a.first-1]) && stored[a.last+1] {
			r.Complete = 1
		}
		fromGenesis := true
		for n := uint64(0); n < a.first; n++ {
			fromGenesis = fromGenesis && stored[n]
		}
		if r.Complete == 1 && fromGenesis {
			r.NewAddressesExact = 1
		}
		out = append(out, r)
	}
	return out
}

// Day is the UTC day block b counts on, given block 1 (nil if it is not
// stored): the date of its timestamp, except that block 0 counts on block
// 1's day (the genesis rule: mainnet's block 0 has timestamp 0), and has no
// day while block 1 is not stored.
func Day(b, one *indexer.Block) (time.Time, bool) {
	ts := b.Timestamp
	if b.Number == 0 {
		if one == nil {
			return time.Time{}, false
		}
		ts = one.Timestamp
	}
	return time.Unix(int64(ts), 0).UTC().Truncate(24 * time.Hour), true
}

// MonthRow is a row of monthly_growth.
type MonthRow struct {
	Month              time.Time `ch:"month"`
	DaysCovered        uint64    `ch:"days_covered"`
	DaysInMonth        uint8     `ch:"days_in_month"`
	Partial            uint8     `ch:"partial"`
	ActiveMean         float64   `ch:"active_addresses_mean"`
	SendersMean        float64   `ch:"active_senders_mean"`
	NewAddresses       uint64    `ch:"new_addresses"`
	Transactions       uint64    `ch:"transactions"`
	NewPerDay          float64   `ch:"new_addresses_per_day"`
	TxPerDay           float64   `ch:"transactions_per_day"`
	NewAddressesExact  uint8     `ch:"new_addresses_exact"`
	PrevPartial        *uint8    `ch:"prev_partial"`
	ActiveGrowth       *float64  `ch:"active_addresses_growth_pct"`
	SendersGrowth      *float64  `ch:"active_senders_growth_pct"`
	NewGrowth          *float64  `ch:"new_addresses_growth_pct"`
	TxGrowth           *float64  `ch:"transactions_growth_pct"`
	NewPerDayGrowth    *float64  `ch:"new_addresses_per_day_growth_pct"`
	TxPerDayGrowth     *float64  `ch:"transactions_per_day_growth_pct"`
	NewSenders         uint64    `ch:"new_senders"`
	NewSendersPerDay   float64   `ch:"new_senders_per_day"`
	AllPartiesMean     float64   `ch:"active_all_parties_mean"`
	NewAllParties      uint64    `ch:"new_all_parties"`
	NewAllPerDay       float64   `ch:"new_all_parties_per_day"`
	NewSendersGrowth   *float64  `ch:"new_senders_growth_pct"`
	AllPartiesGrowth   *float64  `ch:"active_all_parties_growth_pct"`
	NewAllGrowth       *float64  `ch:"new_all_parties_growth_pct"`
	NewSendersPDGrowth *float64  `ch:"new_senders_per_day_growth_pct"`
	NewAllPDGrowth     *float64  `ch:"new_all_parties_per_day_growth_pct"`
}

// ExpectMonthly computes monthly_growth from daily rows by the definitions
// in monthly_growth.sql.
func ExpectMonthly(days []DayRow) []MonthRow {
	var out []MonthRow
	idx := map[time.Time]int{}
	for _, d := range days {
		m := time.Date(d.Day.Year(), d.Day.Month(), 1, 0, 0, 0, 0, time.UTC)
		i, ok := idx[m]
		if !ok {
			i = len(out)
			idx[m] = i
			out = append(out, MonthRow{Month: m, DaysInMonth: uint8(m.AddDate(0, 1, -1).Day()), NewAddressesExact: 1})
		}
		r := &out[i]
		if d.Complete == 0 {
			continue
		}
		r.DaysCovered++
		r.ActiveMean += float64(d.ActiveAddresses) // a sum until divided below
		r.SendersMean += float64(d.ActiveSenders)
		r.NewAddresses += d.NewAddresses
		r.Transactions += d.TxCount
		r.NewAddressesExact &= d.NewAddressesExact
		r.NewSenders += d.NewSenders
		r.AllPartiesMean += float64(d.ActiveAllParties)
		r.NewAllParties += d.NewAllParties
	}
	for i := range out {
		r := &out[i]
		if r.DaysCovered < uint64(r.DaysInMonth) {
			r.Partial = 1
		}
		if r.DaysCovered == 0 {
			r.ActiveMean, r.SendersMean, r.NewAddressesExact, r.AllPartiesMean = 0, 0, 0, 0
			continue
		}
		n := float64(r.DaysCovered)
		r.ActiveMean /= n
		r.SendersMean /= n
		r.NewPerDay = float64(r.NewAddresses) / n
		r.TxPerDay = float64(r.Transactions) / n
		r.AllPartiesMean /= n
		r.NewSendersPerDay = float64(r.NewSenders) / n
		r.NewAllPerDay = float64(r.NewAllParties) / n
	}
	for i := 1; i < len(out); i++ {
		r, p := &out[i], out[i-1]
		if !p.Month.Equal(r.Month.AddDate(0, -1, 0)) {
			continue
		}
		pp := p.Partial
		r.PrevPartial = &pp
		r.ActiveGrowth = growth(r.ActiveMean, p.ActiveMean)
		r.SendersGrowth = growth(r.SendersMean, p.SendersMean)
		r.NewGrowth = growth(float64(r.NewAddresses), float64(p.NewAddresses))
		r.TxGrowth = growth(float64(r.Transactions), float64(p.Transactions))
		r.NewPerDayGrowth = growth(r.NewPerDay, p.NewPerDay)
		r.TxPerDayGrowth = growth(r.TxPerDay, p.TxPerDay)
		r.NewSendersGrowth = growth(float64(r.NewSenders), float64(p.NewSenders))
		r.AllPartiesGrowth = growth(r.AllPartiesMean, p.AllPartiesMean)
		r.NewAllGrowth = growth(float64(r.NewAllParties), float64(p.NewAllParties))
		r.NewSendersPDGrowth = growth(r.NewSendersPerDay, p.NewSendersPerDay)
		r.NewAllPDGrowth = growth(r.NewAllPerDay, p.NewAllPerDay)
	}
	return out
}

// growth is 100·(cur/prev − 1) to one decimal, half away from zero.
func growth(cur, prev float64) *float64 {
	if prev <= 0 {
		return nil
	}
	g := math.Round(100*(cur/prev-1)*10) / 10
	return &g
}

var (
	transferTopic = crypto.Keccak256Hash([]byte("Transfer(address,address,uint256)"))
	singleTopic   = crypto.Keccak256Hash([]byte("TransferSingle(address,address,address,uint256,uint256)"))
	batchTopic    = crypto.Keccak256Hash([]byte("TransferBatch(address,address,address,uint256[],uint256[])"))
	batchArgs     = func() abi.Arguments {
		t, err := abi.NewType("uint256[]", "", nil)
		if err != nil {
			panic(err)
		}
		return abi.Arguments{{Type: t}, {Type: t}}
	}()
)

// TokenParties returns the from and to of a token transfer log whose
// amount is not zero (for a batch: some amount), by the rules of
// schema/0013_token_transfers.sql, decoded with go-ethereum's ABI package;
// nil for any other log.
func TokenParties(l *indexer.Log) []common.Address {
	if len(l.Topics) == 0 {
		return nil
	}
	nonZero := func(b []byte) bool { return new(big.Int).SetBytes(b).Sign() != 0 }
	pair := func(from, to common.Hash) []common.Address {
		return []common.Address{common.BytesToAddress(from.Bytes()), common.BytesToAddress(to.Bytes())}
	}
	switch {
	case l.Topics[0] == transferTopic && len(l.Topics) == 3 && len(l.Data) == 32 && nonZero(l.Data):
		return pair(l.Topics[1], l.Topics[2])
	case l.Topics[0] == transferTopic && len(l.Topics) == 4 && len(l.Data) == 0:
		return pair(l.Topics[1], l.Topics[2]) // amount 1
	case l.Topics[0] == singleTopic && len(l.Topics) == 4 && len(l.Data) == 64 && nonZero(l.Data[32:]):
		return pair(l.Topics[2], l.Topics[3])
	case l.Topics[0] == batchTopic && len(l.Topics) == 4:
		vals, err := batchArgs.Unpack(l.Data)
		if err != nil {
			return nil
		}
		ids, amounts := vals[0].([]*big.Int), vals[1].([]*big.Int)
		if len(ids) != len(amounts) {
			return nil
		}
		for _, a := range amounts {
			if a.Sign() != 0 {
				return pair(l.Topics[2], l.Topics[3])
			}
		}
	}
	return nil
}

// Trace gives blocks call frames, as a source with --traces would: each
// transaction's top-level frame, and below a successful call to one of the
// "contracts" an internal value transfer and, now and then, a contract
// created by that contract. It marks the blocks traced.
func Trace(blocks []*indexer.Block) {
	for _, b := range blocks {
		b.Traced, b.Traces = true, nil
		for i, t := range b.Transactions {
			top := indexer.Trace{
				BlockNumber: b.Number, BlockTimestamp: b.Timestamp,
				TxIndex: t.Index, TxHash: t.Hash, TraceAddress: []uint32{},
				CallType: "CALL", From: t.From, To: t.To, Value: t.Value,
				Gas: t.Gas, GasUsed: t.GasUsed, InputSize: uint32(len(t.Input)),
			}
			copy(top.Selector[:], t.Input)
			if t.To == nil {
				top.CallType, top.To = "CREATE", t.ContractAddress
			}
			ok := t.Status != nil && *t.Status == 1
			if !ok {
				top.Error = "execution reverted"
				if t.To == nil {
					top.To = nil // a failed creation created nothing
				}
			}
			b.Traces = append(b.Traces, top)
			if !ok || t.To == nil || len(t.Input) == 0 {
				continue
			}
			payee := addr(20000 + int(b.Number)%7 + i)
			b.Traces = append(b.Traces, indexer.Trace{
				BlockNumber: b.Number, BlockTimestamp: b.Timestamp,
				TxIndex: t.Index, TxHash: t.Hash, Frame: 1, TraceAddress: []uint32{0},
				CallType: "CALL", From: *t.To, To: &payee, Value: big.NewInt(1 + int64(b.Number)),
				Gas: 2300,
			})
			if b.Number%3 == 0 {
				made := common.BigToAddress(new(big.Int).SetUint64(2<<40 | b.Number<<8 | uint64(i)))
				b.Traces = append(b.Traces, indexer.Trace{
					BlockNumber: b.Number, BlockTimestamp: b.Timestamp,
					TxIndex: t.Index, TxHash: t.Hash, Frame: 2, TraceAddress: []uint32{1},
					CallType: "CREATE2", From: *t.To, To: &made, Value: new(big.Int),
					Gas: 50_000, GasUsed: 32_000,
				})
			}
		}
	}
}
