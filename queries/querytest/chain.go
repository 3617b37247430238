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

	"github.com/ethereum/go-ethereum/common"

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
	}
	days := map[time.Time]*acc{}
	var order []time.Time
	seen := map[common.Address]bool{} // first appearance, in block order
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
			a = &acc{first: b.Number, active: map[common.Address]bool{}, senders: map[common.Address]bool{}, newSeen: map[common.Address]bool{}}
			a.row.Day = day
			days[day] = a
			order = append(order, day)
		}
		a.last = b.Number
		a.row.Blocks++
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
			for _, x := range roles {
				a.active[x] = true
				if !seen[x] {
					seen[x] = true
					a.newSeen[x] = true
				}
			}
		}
	}
	var out []DayRow
	for _, d := range order {
		a := days[d]
		r := a.row
		r.ActiveAddresses, r.ActiveSenders, r.NewAddresses = uint64(len(a.active)), uint64(len(a.senders)), uint64(len(a.newSeen))
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
	Month             time.Time `ch:"month"`
	DaysCovered       uint64    `ch:"days_covered"`
	DaysInMonth       uint8     `ch:"days_in_month"`
	Partial           uint8     `ch:"partial"`
	ActiveMean        float64   `ch:"active_addresses_mean"`
	SendersMean       float64   `ch:"active_senders_mean"`
	NewAddresses      uint64    `ch:"new_addresses"`
	Transactions      uint64    `ch:"transactions"`
	NewPerDay         float64   `ch:"new_addresses_per_day"`
	TxPerDay          float64   `ch:"transactions_per_day"`
	NewAddressesExact uint8     `ch:"new_addresses_exact"`
	PrevPartial       *uint8    `ch:"prev_partial"`
	ActiveGrowth      *float64  `ch:"active_addresses_growth_pct"`
	SendersGrowth     *float64  `ch:"active_senders_growth_pct"`
	NewGrowth         *float64  `ch:"new_addresses_growth_pct"`
	TxGrowth          *float64  `ch:"transactions_growth_pct"`
	NewPerDayGrowth   *float64  `ch:"new_addresses_per_day_growth_pct"`
	TxPerDayGrowth    *float64  `ch:"transactions_per_day_growth_pct"`
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
	}
	for i := range out {
		r := &out[i]
		if r.DaysCovered < uint64(r.DaysInMonth) {
			r.Partial = 1
		}
		if r.DaysCovered == 0 {
			r.ActiveMean, r.SendersMean, r.NewAddressesExact = 0, 0, 0
			continue
		}
		n := float64(r.DaysCovered)
		r.ActiveMean /= n
		r.SendersMean /= n
		r.NewPerDay = float64(r.NewAddresses) / n
		r.TxPerDay = float64(r.Transactions) / n
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
