// Package report answers the question ethidx exists for, in the form the
// press uses: how did a month's daily active addresses, new addresses and
// transactions compare with the month before. Monthly reads the saved
// views (monthly_growth, daily_activity, daily_coverage), so the report,
// `ethidx query` and a BI dashboard always agree; WriteText prints the
// summary and WriteChart draws the daily series as SVG or PNG, with
// gonum/plot.
//
// Only Monthly and LoadDays read the database. The text and the chart
// are drawn from the Report value alone, and their tests build one in
// memory and need no engine (go test -short runs only those);
// TestMonthly checks the whole path against the embedded engine.
package report

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/ethidx/ethidx/queries"
	"github.com/ethidx/ethidx/schema"
)

// Month is one row of the monthly_growth view.
type Month struct {
	Month        time.Time `ch:"month"`
	DaysCovered  uint64    `ch:"days_covered"`
	DaysInMonth  uint8     `ch:"days_in_month"`
	Partial      uint8     `ch:"partial"`
	ActiveMean   float64   `ch:"active_addresses_mean"`
	SendersMean  float64   `ch:"active_senders_mean"`
	NewAddresses uint64    `ch:"new_addresses"`
	Transactions uint64    `ch:"transactions"`
	NewPerDay    float64   `ch:"new_addresses_per_day"`
	TxPerDay     float64   `ch:"transactions_per_day"`
	NewExact     uint8     `ch:"new_addresses_exact"`
	PrevPartial  *uint8    `ch:"prev_partial"`
	// Month-over-month growth in percent, one decimal; nil when there is
	// nothing to compare with.
	ActiveGrowth    *float64 `ch:"active_addresses_growth_pct"`
	SendersGrowth   *float64 `ch:"active_senders_growth_pct"`
	NewGrowth       *float64 `ch:"new_addresses_growth_pct"`
	TxGrowth        *float64 `ch:"transactions_growth_pct"`
	NewPerDayGrowth *float64 `ch:"new_addresses_per_day_growth_pct"`
	TxPerDayGrowth  *float64 `ch:"transactions_per_day_growth_pct"`
	// The same figures under the senders and all_parties definitions;
	// Use puts the chosen definition's into the fields above.
	NewSenders             uint64   `ch:"new_senders"`
	NewSendersPerDay       float64  `ch:"new_senders_per_day"`
	AllPartiesMean         float64  `ch:"active_all_parties_mean"`
	NewAllParties          uint64   `ch:"new_all_parties"`
	NewAllPerDay           float64  `ch:"new_all_parties_per_day"`
	NewSendersGrowth       *float64 `ch:"new_senders_growth_pct"`
	AllPartiesGrowth       *float64 `ch:"active_all_parties_growth_pct"`
	NewAllGrowth           *float64 `ch:"new_all_parties_growth_pct"`
	NewSendersPerDayGrowth *float64 `ch:"new_senders_per_day_growth_pct"`
	NewAllPerDayGrowth     *float64 `ch:"new_all_parties_per_day_growth_pct"`
}

// Day is one row of the daily_activity view.
type Day struct {
	Day               time.Time `ch:"day"`
	Complete          uint8     `ch:"complete"`
	Blocks            uint64    `ch:"blocks"`
	TxCount           uint64    `ch:"tx_count"`
	TxSuccess         uint64    `ch:"tx_success"`
	ActiveAddresses   uint64    `ch:"active_addresses"`
	ActiveSenders     uint64    `ch:"active_senders"`
	NewAddresses      uint64    `ch:"new_addresses"`
	NewAddressesExact uint8     `ch:"new_addresses_exact"`
	ContractCreations uint64    `ch:"contract_creations"`
	NewSenders        uint64    `ch:"new_senders"`
	ActiveAllParties  uint64    `ch:"active_all_parties"`
	NewAllParties     uint64    `ch:"new_all_parties"`
}

// Report is a month compared with the month before.
type Report struct {
	// Definition is the address definition of the active and new
	// address figures (Participants unless Use chose another).
	Definition Definition
	// Source is where the figures come from; LoadSource reads it.
	Source Source
	Month  Month
	// Prev is the month before; its zero value (DaysCovered 0) when none
	// of its days is indexed.
	Prev Month
	// Days is the daily series of both months, for the chart; LoadDays
	// reads it.
	Days []Day
	// Load, if set, words the command that loads the days from..to
	// (UTC dates), for a report that is not whole to name it.
	Load func(from, to time.Time) string
}

// ErrNoCompleteMonth is returned by Monthly("") when no calendar month in
// the last year of the index has every day stored.
var ErrNoCompleteMonth = errors.New("no fully indexed month")

// ErrNotIndexed is returned when the month asked for (or, with "", the
// whole index) has no block stored: a backfill is what is missing.
var ErrNotIndexed = errors.New("not indexed")

// Monthly builds the report for month "YYYY-MM", or for the latest month
// whose every day is indexed when month is "". A month given explicitly
// may be partial; the report says so. The text needs the monthly view
// only: the daily series, for a chart, is read by LoadDays.
func Monthly(ctx context.Context, db queries.DB, month string) (*Report, error) {
	if month == "" {
		return latest(ctx, db)
	}
	m, err := time.Parse("2006-01", month)
	if err != nil || m.Year() < 1970 || m.Year() > 2105 {
		return nil, fmt.Errorf("%w: month %q: want YYYY-MM", queries.ErrInput, month)
	}
	return forMonth(ctx, db, m)
}

// forMonth reads month m and the month before from monthly_growth.
func forMonth(ctx context.Context, db queries.DB, m time.Time) (*Report, error) {
	var months []Month
	if err := selectView(ctx, db, &months, "monthly_growth", "*", m.AddDate(0, -1, 0), m.AddDate(0, 1, -1)); err != nil {
		return nil, err
	}
	return build(m, months)
}

// latest reports the newest month with every day indexed. That is nearly
// always one of the last two months of the index, so one read of
// monthly_growth over the last three both finds it and holds the report's
// rows; only otherwise is the year before searched, by coverage.
func latest(ctx context.Context, db queries.DB) (*Report, error) {
	last, err := newestMonth(ctx, db)
	if err != nil {
		return nil, err
	}
	var months []Month
	if err := selectView(ctx, db, &months, "monthly_growth", "*", last.AddDate(0, -2, 0), last.AddDate(0, 1, -1)); err != nil {
		return nil, err
	}
	for _, m := range []time.Time{last, last.AddDate(0, -1, 0)} {
		for _, row := range months {
			if row.Month.UTC().Equal(m) && row.Partial == 0 {
				return build(m, months)
			}
		}
	}
	m, err := latestCompleteMonth(ctx, db, last)
	if err != nil {
		return nil, err
	}
	return forMonth(ctx, db, m)
}

// build makes the report of month m from monthly_growth rows holding m
// and, if indexed, the month before.
func build(m time.Time, months []Month) (*Report, error) {
	prev := m.AddDate(0, -1, 0)
	r := &Report{Definition: Participants}
	found := false
	for _, row := range months {
		switch row.Month.UTC() {
		case m:
			r.Month, found = row, true
		case prev:
			r.Prev = row
		}
	}
	if !found {
		return nil, notIndexed{fmt.Sprintf("no block of %s is indexed", m.Format("January 2006"))}
	}
	r.Month.Month, r.Prev.Month = m, prev
	if r.Prev.DaysInMonth == 0 {
		r.Prev.DaysInMonth = uint8(m.AddDate(0, 0, -1).Day())
	}
	return r, nil
}

// LoadDays reads the daily series of both months (daily_activity), which
// WriteChart draws, under the report's definition.
func (r *Report) LoadDays(ctx context.Context, db queries.DB) error {
	r.Days = nil
	if err := selectView(ctx, db, &r.Days, "daily_activity", "*", r.Prev.Month, r.Month.Month.AddDate(0, 1, -1)); err != nil {
		return err
	}
	for i := range r.Days {
		r.Days[i].use(r.Definition)
	}
	return nil
}

// selectView reads the saved query's parameterized view over [from, to].
func selectView(ctx context.Context, db queries.DB, dest any, name, columns string, from, to time.Time) error {
	q, _ := queries.Get(name)
	ctx = clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{
		"from": from.Format(time.DateOnly), "to": to.Format(time.DateOnly),
	}))
	if err := db.Select(ctx, dest, "SELECT "+columns+" FROM "+q.View+"(from = {from:Date}, to = {to:Date})"); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

//go:embed sql/newest_block.sql
var newestBlockSQL string

// newestMonth is the month of the newest stored block.
func newestMonth(ctx context.Context, db queries.DB) (time.Time, error) {
	var newest []struct {
		T time.Time `ch:"newest"`
	}
	if err := db.Select(ctx, &newest, schema.SplitStatements(newestBlockSQL)[0]); err != nil {
		return time.Time{}, fmt.Errorf("finding the newest block: %w", err)
	}
	if len(newest) == 0 {
		return time.Time{}, fmt.Errorf("%w: %w", ErrNoCompleteMonth, notIndexed{"no block is indexed"})
	}
	return monthOf(newest[0].T), nil
}

// latestCompleteMonth looks, in the year before the last two months up to
// last (which latest has already checked), for a month with every day
// complete, reading block coverage only.
func latestCompleteMonth(ctx context.Context, db queries.DB, last time.Time) (time.Time, error) {
	hi, lo := last.AddDate(0, -2, 0), last.AddDate(0, -13, 0)
	var days []struct {
		Day      time.Time `ch:"day"`
		Complete uint8     `ch:"complete"`
	}
	if err := selectView(ctx, db, &days, "daily_coverage", "day, complete", lo, hi.AddDate(0, 1, -1)); err != nil {
		return time.Time{}, err
	}
	complete := map[time.Time]int{}
	for _, d := range days {
		if d.Complete == 1 {
			complete[monthOf(d.Day)]++
		}
	}
	for m := hi; !m.Before(lo); m = m.AddDate(0, -1, 0) {
		if complete[m] == m.AddDate(0, 1, -1).Day() {
			return m, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w between %s and %s; pass a month (YYYY-MM) to report a partial one",
		ErrNoCompleteMonth, lo.Format("2006-01"), last.Format("2006-01"))
}

func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// notIndexed is an ErrNotIndexed with its own text.
type notIndexed struct{ msg string }

func (e notIndexed) Error() string        { return e.msg }
func (e notIndexed) Is(target error) bool { return target == ErrNotIndexed }
