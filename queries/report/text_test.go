package report

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ethidx/ethidx/queries"
)

func ptr(v float64) *float64 { return &v }

// january is the report WriteText's comment shows: two complete months,
// new addresses exact.
func january() *Report {
	return &Report{
		Month: Month{Month: date(2026, 1, 1), DaysCovered: 31, DaysInMonth: 31, NewExact: 1,
			ActiveMean: 613_904.2, SendersMean: 402_117.9, NewAddresses: 5_278_119, Transactions: 46_425_600,
			NewPerDay: 170_261.9, TxPerDay: 1_497_600,
			ActiveGrowth: ptr(27.5), SendersGrowth: ptr(21), NewGrowth: ptr(26.8), TxGrowth: ptr(36),
			NewPerDayGrowth: ptr(26.8), TxPerDayGrowth: ptr(36)},
		Prev: Month{Month: date(2025, 12, 1), DaysCovered: 31, DaysInMonth: 31, NewExact: 1,
			ActiveMean: 481_493.5, SendersMean: 332_328, NewAddresses: 4_162_554, Transactions: 34_136_470,
			NewPerDay: 134_275.9, TxPerDay: 1_101_176.5},
	}
}

// TestWriteText prints reports built in memory, no engine, and compares
// them with golden files: two complete months (the example in WriteText's
// comment), both months partial (the chart's fixture), and a month with
// nothing before it.
func TestWriteText(t *testing.T) {
	noPrev := january()
	noPrev.Prev = Month{Month: date(2025, 12, 1), DaysInMonth: 31}
	noPrev.Month.ActiveGrowth, noPrev.Month.NewGrowth, noPrev.Month.TxGrowth = nil, nil, nil
	noPrev.Month.SendersGrowth, noPrev.Month.NewPerDayGrowth, noPrev.Month.TxPerDayGrowth = nil, nil, nil
	inexact := january()
	inexact.Prev.NewExact = 0
	// A dev chain's month: means below 100, a negative growth beside a
	// small positive one.
	small := january()
	small.Month.ActiveMean, small.Prev.ActiveMean, small.Month.Transactions = 27.8, 32, 920
	small.Month.TxGrowth, small.Month.ActiveGrowth = ptr(-13), ptr(0.7)
	// A partial month names what to load, and leads with per-day figures.
	partial := fixture()
	partial.Load = func(from, to time.Time) string {
		return "ethidx backfill --from-date " + from.Format(time.DateOnly) + " --to-date " + to.Format(time.DateOnly)
	}
	for _, c := range []struct {
		name string
		r    *Report
		want []string // lines the golden file must hold, so a careless -update shows
	}{
		{"text-complete.txt", january(), []string{
			"January 2026 vs December 2025 (31/31 days indexed; new addresses exact: history from genesis)",
			"  daily active addresses (mean)      613,904   +27.5%",
			"  new addresses                    5,278,119   +26.8%",
			"  transactions                    46,425,600   +36.0%",
			"In January 2026 daily active addresses rose 27.5%, new addresses rose 26.8% and transactions rose 36.0% month on month.",
		}},
		{"text-partial.txt", partial, []string{
			"  to report it in full, load the missing days: ethidx backfill --from-date 2025-12-01 --to-date 2026-01-31",
			"  new addresses (per day)            300,150   +68.7%",
			"  PARTIAL MONTH: 29 of 31 days fully indexed; totals cover those days only, compare per day",
			"  PARTIAL PREVIOUS MONTH: December 2025 has 30 of 31 days fully indexed; compare per day",
			"(per day: a month is partial)",
		}},
		{"text-no-previous.txt", noPrev, []string{
			"  December 2025 has no fully indexed day: no growth figures",
			"  daily active addresses (mean)      613,904      n/a",
		}},
		{"text-small.txt", small, []string{
			// Growth right-aligned; means side by side with one decimal.
			"  transactions                           920   -13.0%",
			"  daily active addresses (mean)         27.8    +0.7%",
			"  daily active addresses                  27.8           32.0    +0.7%",
		}},
		{"text-inexact.txt", inexact, []string{
			"  new addresses of December 2025 are not exact (no, the index does not reach back to genesis), nor is their growth",
		}},
	} {
		var b bytes.Buffer
		if err := c.r.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		golden(t, c.name, b.Bytes())
		for _, w := range c.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s: no line %q in\n%s", c.name, w, b.String())
			}
		}
	}
	if s := noPrev.Sentence(); s != "" {
		t.Errorf("Sentence with no previous month = %q, want none", s)
	}
}

func TestSentence(t *testing.T) {
	r := january()
	r.Month.NewGrowth, r.Month.TxGrowth = ptr(-3.14), ptr(0)
	if got, want := r.Sentence(), "In January 2026 daily active addresses rose 27.5%, new addresses fell 3.1% and transactions were unchanged month on month."; got != want {
		t.Errorf("Sentence() =\n%q, want\n%q", got, want)
	}
	// A partial month compares per day, not totals.
	r.Month.Partial, r.Month.NewPerDayGrowth, r.Month.TxPerDayGrowth = 1, ptr(5), ptr(-0.04)
	if got, want := r.Sentence(), "In January 2026 (per day: a month is partial) daily active addresses rose 27.5%, new addresses rose 5.0% and transactions were unchanged month on month."; got != want {
		t.Errorf("partial Sentence() =\n%q, want\n%q", got, want)
	}
	r.Month.TxPerDayGrowth = nil
	if got := r.Sentence(); got != "" {
		t.Errorf("Sentence() with a growth missing = %q, want none", got)
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{thousands(0), "0"},
		{thousands(7), "7"},
		{thousands(19.26), "19.3"},
		{thousands(99.5), "99.5"},
		{thousands(100.4), "100"},
		{thousands(999.5), "1,000"},
		{thousands(1234567), "1,234,567"},
		{thousands(46_425_600), "46,425,600"},
		{thousands(-1234.4), "-1,234"},
		{thousands(-0.4), "-0.4"},
		{pct(nil), "n/a"},
		{pct(ptr(math.NaN())), "n/a"},
		{pct(ptr(27.5)), "+27.5%"},
		{pct(ptr(-3.14)), "-3.1%"},
		{pct(ptr(0)), "+0.0%"},
		{pct(ptr(-0.04)), "+0.0%"}, // never "-0.0%"
		{change(27.5), "rose 27.5%"},
		{change(-0.3), "fell 0.3%"},
		{change(0.04), "were unchanged"}, // not "rose 0.0%"
		{short(0), "0"},
		{short(950), "950"},
		{short(999.6), "1k"}, // not "1000"
		{short(12_500), "12.5k"},
		{short(999_950), "1M"}, // not "1000k"
		{short(1_500_000), "1.5M"},
		{short(2_250_000_000), "2.25B"},
		{meanLabel(2.94), "2.9"},
		{meanLabel(999.97), "1k"},
		{meanLabel(613_904), "613.9k"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestNiceTicks checks the y axes: from 0, evenly spaced by 1, 2, 2.5 or
// 5 times a power of ten, reaching hi in three to five steps.
func TestNiceTicks(t *testing.T) {
	for _, hi := range []float64{0.7, 1, 3, 7.2, 19.3, 99, 100, 101, 480_000, 613_904 * 1.2, 1.5e6, 46_425_600, 3e9} {
		ticks := niceTicks(hi)
		if ticks[0] != 0 || ticks[len(ticks)-1] < hi || len(ticks) < 4 || len(ticks) > 6 {
			t.Errorf("niceTicks(%g) = %v: want 0 to at least %g in 3 to 5 steps", hi, ticks, hi)
			continue
		}
		step := ticks[1]
		mant := step / math.Pow(10, math.Floor(math.Log10(step)))
		if !approx(mant, 1) && !approx(mant, 2) && !approx(mant, 2.5) && !approx(mant, 5) {
			t.Errorf("niceTicks(%g) steps by %g, not a round number", hi, step)
		}
		for i, v := range ticks {
			if !approx(v, float64(i)*step) {
				t.Errorf("niceTicks(%g) = %v: uneven at %d", hi, ticks, i)
			}
		}
	}
	if got := niceTicks(0); len(got) != 2 || got[1] != 1 {
		t.Errorf("niceTicks(0) = %v, want [0 1]: an empty panel still has an axis", got)
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestMonthlyInput checks what Monthly refuses before reading anything
// (a nil DB would panic if it were read).
func TestMonthlyInput(t *testing.T) {
	for _, m := range []string{"2026-13", "2026-1", "January", "1969-12", "2106-01", "2026-01-01"} {
		if _, err := Monthly(context.Background(), nil, m); !errors.Is(err, queries.ErrInput) {
			t.Errorf("Monthly(%q) = %v, want an ErrInput", m, err)
		}
	}
}

// TestBuild picks the month and the one before out of monthly_growth rows.
func TestBuild(t *testing.T) {
	jan, dec := date(2026, 1, 1), date(2025, 12, 1)
	// Rows as the driver returns them: the same instants, in another zone.
	est := time.FixedZone("EST", -5*3600)
	rows := []Month{
		{Month: dec.In(est), DaysCovered: 31, DaysInMonth: 31, ActiveMean: 1},
		{Month: jan.In(est), DaysCovered: 12, DaysInMonth: 31, Partial: 1, ActiveMean: 2},
		{Month: date(2026, 2, 1), DaysCovered: 3, DaysInMonth: 28, ActiveMean: 3},
	}
	r, err := build(jan, rows)
	if err != nil {
		t.Fatal(err)
	}
	if r.Month.ActiveMean != 2 || r.Prev.ActiveMean != 1 || !r.Month.Month.Equal(jan) || r.Month.Month.Location() != time.UTC {
		t.Errorf("build(January) = month %+v, prev %+v", r.Month, r.Prev)
	}
	// Nothing of December indexed: Prev is empty but knows its length.
	r, err = build(jan, rows[1:2])
	if err != nil {
		t.Fatal(err)
	}
	if r.Prev.DaysCovered != 0 || r.Prev.DaysInMonth != 31 || !r.Prev.Month.Equal(dec) {
		t.Errorf("build(January) without December: prev %+v", r.Prev)
	}
	// A valid month with nothing loaded is no bad input: a backfill is missing.
	if _, err := build(date(2026, 3, 1), rows); !errors.Is(err, ErrNotIndexed) || errors.Is(err, queries.ErrInput) {
		t.Errorf("build(March) = %v, want an ErrNotIndexed: no row of March", err)
	}
}
