package report

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/schema"
)

// Source says where the report's figures come from: the blocks they were
// computed from and how those blocks were checked.
type Source struct {
	// FirstBlock..LastBlock are the stored blocks of the two months.
	FirstBlock, LastBlock uint64
	// Verification is how the blocks were checked against a node.
	Verification string
	// Blocks is how many blocks are stored in that range, Traced how many
	// of them were loaded with --traces (their internal value transfers
	// count under all_parties).
	Blocks, Traced uint64
}

//go:embed sql/verified.sql
var verifiedSQL string

//go:embed sql/traced.sql
var tracedSQL string

// LoadSource reads the block range of both months (daily_coverage) and
// the newest verify run covering it.
func (r *Report) LoadSource(ctx context.Context, db queries.DB) error {
	var span []struct {
		First uint64 `ch:"first_block"`
		Last  uint64 `ch:"last_block"`
		Days  uint64 `ch:"days"`
	}
	if err := selectView(ctx, db, &span, "daily_coverage", "min(first_block) AS first_block, max(last_block) AS last_block, toUInt64(count()) AS days",
		r.Prev.Month, r.Month.Month.AddDate(0, 1, -1)); err != nil {
		return err
	}
	if len(span) == 0 || span[0].Days == 0 {
		return nil
	}
	r.Source.FirstBlock, r.Source.LastBlock = span[0].First, span[0].Last
	var runs []struct {
		From     uint64    `ch:"from_block"`
		To       uint64    `ch:"to_block"`
		Problems uint64    `ch:"problems"`
		Finished time.Time `ch:"finished_at"`
	}
	qctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"from": strconv.FormatUint(span[0].First, 10), "to": strconv.FormatUint(span[0].Last, 10)}))
	if err := db.Select(qctx, &runs, schema.SplitStatements(verifiedSQL)[0]); err != nil {
		return fmt.Errorf("reading verify runs: %w", err)
	}
	var traced []struct {
		Blocks uint64 `ch:"blocks"`
		Traced uint64 `ch:"traced"`
	}
	if err := db.Select(qctx, &traced, schema.SplitStatements(tracedSQL)[0]); err != nil {
		return fmt.Errorf("counting traced blocks: %w", err)
	}
	if len(traced) == 1 {
		r.Source.Blocks, r.Source.Traced = traced[0].Blocks, traced[0].Traced
	}
	r.Source.Verification = "not audited by `ethidx verify`; each block was checked at load by the backfill's --verify mode (roots by default)"
	if len(runs) == 1 {
		r.Source.Verification = fmt.Sprintf("audited against a node by `ethidx verify` (blocks %d-%d, %d problems, %s)",
			runs[0].From, runs[0].To, runs[0].Problems, runs[0].Finished.UTC().Format(time.RFC3339))
	}
	return nil
}

// A figure as `report --format json` gives it, with where it comes from.
type jsonFigure struct {
	Name         string   `json:"name"`
	Column       string   `json:"column"`
	Value        float64  `json:"value"`
	Previous     *float64 `json:"previous"`
	GrowthPct    *float64 `json:"growth_pct"`
	Definition   string   `json:"definition"`
	FirstBlock   uint64   `json:"first_block"`
	LastBlock    uint64   `json:"last_block"`
	Verification string   `json:"verification"`
	DaysCovered  uint64   `json:"days_covered"`
	DaysInMonth  uint8    `json:"days_in_month"`
	Complete     bool     `json:"complete"`
	Exact        *bool    `json:"exact,omitempty"`
	// TracedBlocks is, for all_parties, how many of the blocks were
	// loaded with --traces: internal value transfers count in those only.
	TracedBlocks *uint64 `json:"traced_blocks,omitempty"`
}

// WriteJSON prints the report as JSON: each figure with its definition,
// block range, verification level and completeness.
func (r *Report) WriteJSON(w io.Writer) error {
	m, p := r.Month, r.Prev
	def := r.Definition
	if def == "" {
		def = Participants
	}
	cols := map[Definition][2]string{
		Participants: {"active_addresses_mean", "new_addresses"},
		Senders:      {"active_senders_mean", "new_senders"},
		AllParties:   {"active_all_parties_mean", "new_all_parties"},
	}[def]
	active, newCol := cols[0], cols[1]
	prev := func(v float64) *float64 {
		if p.DaysCovered == 0 {
			return nil
		}
		return &v
	}
	exact := m.NewExact == 1 && (p.DaysCovered == 0 || p.NewExact == 1)
	fig := func(name, col, definition string, v, pv float64, g *float64, ex *bool) jsonFigure {
		f := jsonFigure{Name: name, Column: col, Value: v, Previous: prev(pv), GrowthPct: g, Definition: definition,
			FirstBlock: r.Source.FirstBlock, LastBlock: r.Source.LastBlock, Verification: r.Source.Verification,
			DaysCovered: m.DaysCovered, DaysInMonth: m.DaysInMonth, Complete: m.Partial == 0 && p.Partial == 0 && p.DaysCovered > 0, Exact: ex}
		if definition == string(AllParties) {
			f.TracedBlocks = &r.Source.Traced
		}
		return f
	}
	out := struct {
		Month      string       `json:"month"`
		Previous   string       `json:"previous"`
		Definition string       `json:"definition"`
		Means      string       `json:"definition_text"`
		Figures    []jsonFigure `json:"figures"`
		Sentence   string       `json:"sentence"`
	}{
		Month: m.Month.Format("2006-01"), Previous: p.Month.Format("2006-01"),
		Definition: string(def), Means: def.Describe(),
		Figures: []jsonFigure{
			fig("daily active addresses (mean)", active, string(def), m.ActiveMean, p.ActiveMean, m.ActiveGrowth, nil),
			fig("new addresses", newCol, string(def), float64(m.NewAddresses), float64(p.NewAddresses), m.NewGrowth, &exact),
			fig("new addresses per day", newCol+"_per_day", string(def), m.NewPerDay, p.NewPerDay, m.NewPerDayGrowth, &exact),
			fig("transactions", "transactions", "every transaction in the blocks, failed ones too", float64(m.Transactions), float64(p.Transactions), m.TxGrowth, nil),
			fig("transactions per day", "transactions_per_day", "every transaction in the blocks, failed ones too", m.TxPerDay, p.TxPerDay, m.TxPerDayGrowth, nil),
		},
		Sentence: r.Sentence(),
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
