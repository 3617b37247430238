package report

import (
	"fmt"

	"github.com/ethidx/ethidx/queries"
)

// Definition is what counts as an address (README.md, Metric definitions).
type Definition string

// The definitions the saved views carry side by side.
const (
	// Participants: sender, recipient or created contract of a top-level
	// transaction (the views' active_addresses and new_addresses).
	Participants Definition = "participants"
	// Senders: senders of a top-level transaction; new is the first
	// transaction as sender (Artemis' dau and new_users, growthepie).
	Senders Definition = "senders"
	// AllParties: participants plus the from and to of token transfers of
	// non-zero amount, and of internal value transfers in blocks loaded
	// with --traces; never the zero address.
	AllParties Definition = "all_parties"
)

// Describe says in a line what the definition counts.
func (d Definition) Describe() string {
	switch d {
	case Senders:
		return "senders of a top-level transaction; new = first transaction as sender"
	case AllParties:
		return "sender, recipient or created contract, plus the from and to of token transfers (non-zero amount) " +
			"and of internal value transfers (blocks loaded with --traces), never the zero address"
	default:
		return "sender, recipient or created contract of a top-level transaction"
	}
}

// ParseDefinition reads a --definition value; "" is Participants.
func ParseDefinition(s string) (Definition, error) {
	switch d := Definition(s); d {
	case "":
		return Participants, nil
	case Participants, Senders, AllParties:
		return d, nil
	}
	return "", fmt.Errorf("%w: definition %q: want participants, senders or all_parties", queries.ErrInput, s)
}

// Use makes the report's active and new address figures (and the daily
// series, if loaded) those of definition d.
func (r *Report) Use(d Definition) {
	r.Definition = d
	r.Month.use(d)
	r.Prev.use(d)
	for i := range r.Days {
		r.Days[i].use(d)
	}
}

func (m *Month) use(d Definition) {
	switch d {
	case Senders:
		m.ActiveMean, m.ActiveGrowth = m.SendersMean, m.SendersGrowth
		m.NewAddresses, m.NewGrowth = m.NewSenders, m.NewSendersGrowth
		m.NewPerDay, m.NewPerDayGrowth = m.NewSendersPerDay, m.NewSendersPerDayGrowth
	case AllParties:
		m.ActiveMean, m.ActiveGrowth = m.AllPartiesMean, m.AllPartiesGrowth
		m.NewAddresses, m.NewGrowth = m.NewAllParties, m.NewAllGrowth
		m.NewPerDay, m.NewPerDayGrowth = m.NewAllPerDay, m.NewAllPerDayGrowth
	}
}

func (x *Day) use(d Definition) {
	switch d {
	case Senders:
		x.ActiveAddresses, x.NewAddresses = x.ActiveSenders, x.NewSenders
	case AllParties:
		x.ActiveAddresses, x.NewAddresses = x.ActiveAllParties, x.NewAllParties
	}
}
