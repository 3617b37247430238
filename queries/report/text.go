package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// WriteText prints the summary the way it gets quoted:
//
//	January 2026 vs December 2025 (31/31 days indexed; new addresses exact: history from genesis)
//	  daily active addresses (mean)      613,904   +27.5%
//	  new addresses                    5,278,119   +26.8%
//	  transactions                    46,425,600   +36.0%
//
// (TestWriteText prints this example), then both months per day (the fair
// comparison when months differ in length or one is partial) and the
// one-sentence version.
func (r *Report) WriteText(w io.Writer) error {
	m, p := r.Month, r.Prev
	name, prevName := m.Month.Format("January 2006"), p.Month.Format("January 2006")
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%s vs %s (%d/%d days indexed; new addresses exact: %s)\n",
		name, prevName, m.DaysCovered, m.DaysInMonth, exactness(m.NewExact))
	def := r.Definition
	if def == "" {
		def = Participants
	}
	fmt.Fprintf(bw, "  addresses: %s (%s)\n", def, def.Describe())
	if r.Source.LastBlock > 0 {
		fmt.Fprintf(bw, "  blocks %d-%d; %s\n", r.Source.FirstBlock, r.Source.LastBlock, r.Source.Verification)
		if def == AllParties {
			fmt.Fprintf(bw, "  internal value transfers counted in %d of %d blocks (those loaded with --traces)\n",
				r.Source.Traced, r.Source.Blocks)
		}
	}
	if m.Partial == 1 {
		fmt.Fprintf(bw, "  PARTIAL MONTH: %d of %d days fully indexed; totals cover those days only, compare per day\n",
			m.DaysCovered, m.DaysInMonth)
	}
	switch {
	case p.DaysCovered == 0:
		fmt.Fprintf(bw, "  %s has no fully indexed day: no growth figures\n", prevName)
	case p.Partial == 1:
		fmt.Fprintf(bw, "  PARTIAL PREVIOUS MONTH: %s has %d of %d days fully indexed; compare per day\n",
			prevName, p.DaysCovered, p.DaysInMonth)
	}
	if from, to, ok := r.Incomplete(); ok && r.Load != nil {
		fmt.Fprintf(bw, "  to report it in full, load the missing days: %s\n", r.Load(from, to))
	}
	if p.DaysCovered > 0 && p.NewExact == 0 && m.NewExact == 1 {
		fmt.Fprintf(bw, "  new addresses of %s are not exact (%s), nor is their growth\n", prevName, exactness(0))
	}
	// Growth right-aligned, so signs and decimal points line up. A partial
	// month on either side leads with per-day figures: totals of months
	// covered unequally do not compare.
	fmt.Fprintf(bw, "  %-29s %12s %8s\n", "daily active addresses (mean)", mean(m.ActiveMean), pct(m.ActiveGrowth))
	if m.Partial == 1 || p.Partial == 1 {
		fmt.Fprintf(bw, "  %-29s %12s %8s\n", "new addresses (per day)", mean(m.NewPerDay), pct(m.NewPerDayGrowth))
		fmt.Fprintf(bw, "  %-29s %12s %8s\n", "transactions (per day)", mean(m.TxPerDay), pct(m.TxPerDayGrowth))
	} else {
		fmt.Fprintf(bw, "  %-29s %12s %8s\n", "new addresses", thousands(float64(m.NewAddresses)), pct(m.NewGrowth))
		fmt.Fprintf(bw, "  %-29s %12s %8s\n", "transactions", thousands(float64(m.Transactions)), pct(m.TxGrowth))
	}

	fmt.Fprintf(bw, "\n  %-29s %14s %14s\n", "per day", name, prevName)
	perDay := []struct {
		label     string
		cur, prev float64
		g         *float64
	}{
		{"daily active addresses", m.ActiveMean, p.ActiveMean, m.ActiveGrowth},
		{"daily active senders", m.SendersMean, p.SendersMean, m.SendersGrowth},
		{"new addresses", m.NewPerDay, p.NewPerDay, m.NewPerDayGrowth},
		{"transactions", m.TxPerDay, p.TxPerDay, m.TxPerDayGrowth},
	}
	for _, l := range perDay {
		prev := "-"
		if p.DaysCovered > 0 {
			prev = mean(l.prev)
		}
		fmt.Fprintf(bw, "  %-29s %14s %14s %8s\n", l.label, mean(l.cur), prev, pct(l.g))
	}
	fmt.Fprintf(bw, "  %-29s %14s %14s\n", "days fully indexed",
		fmt.Sprintf("%d/%d", m.DaysCovered, m.DaysInMonth), fmt.Sprintf("%d/%d", p.DaysCovered, p.DaysInMonth))
	if s := r.Sentence(); s != "" {
		fmt.Fprintf(bw, "\n%s\n", s)
	}
	return bw.Flush()
}

// Incomplete returns the days to load for the month and the one before
// to be reported in full: from the first day of the earlier month that is
// not whole to the month's last day. ok is false when both are whole.
func (r *Report) Incomplete() (from, to time.Time, ok bool) {
	m, p := r.Month, r.Prev
	to = m.Month.AddDate(0, 1, -1)
	switch {
	case p.Partial == 1 || p.DaysCovered == 0:
		return p.Month, to, true
	case m.Partial == 1:
		return m.Month, to, true
	}
	return time.Time{}, time.Time{}, false
}

// Sentence is the report in one line, e.g. "In January 2026 daily active
// addresses rose 27.5%, new addresses rose 26.8% and transactions rose
// 36.0% month on month." With a partial month on either side it compares per-day
// means. It is empty when there is nothing to compare.
func (r *Report) Sentence() string {
	m := r.Month
	newG, txG, basis := m.NewGrowth, m.TxGrowth, ""
	if m.Partial == 1 || r.Prev.Partial == 1 {
		newG, txG, basis = m.NewPerDayGrowth, m.TxPerDayGrowth, " (per day: a month is partial)"
	}
	if m.ActiveGrowth == nil || newG == nil || txG == nil {
		return ""
	}
	return fmt.Sprintf("In %s%s daily active addresses %s, new addresses %s and transactions %s month on month.",
		m.Month.Format("January 2006"), basis, change(*m.ActiveGrowth), change(*newG), change(*txG))
}

// change words a growth figure as printed, to one decimal: a change
// that rounds to 0.0% is no change.
func change(g float64) string {
	g = math.Round(g*10) / 10
	switch {
	case g > 0:
		return fmt.Sprintf("rose %.1f%%", g)
	case g < 0:
		return fmt.Sprintf("fell %.1f%%", -g)
	}
	return "were unchanged"
}

func exactness(exact uint8) string {
	if exact == 1 {
		return "history from genesis"
	}
	return "no, the index does not reach back to genesis"
}

// pct formats a growth figure as +27.5% / -3.1%, or n/a.
func pct(g *float64) string {
	if g == nil || math.IsNaN(*g) {
		return "n/a"
	}
	if math.Round(*g*10) == 0 {
		return "+0.0%" // never "-0.0%", for a growth between -0.05 and 0
	}
	return fmt.Sprintf("%+.1f%%", *g)
}

// mean formats a mean (of days): as thousands, but below 100 always with
// one decimal, so two means side by side read alike ("32.0" beside
// "27.8", not "32").
func mean(v float64) string {
	if math.Abs(v) < 100 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return thousands(v)
}

// thousands rounds to a whole number and groups digits: 1,234,567. Below
// 100 it keeps one decimal, so small means stay distinguishable.
func thousands(v float64) string {
	if math.Abs(v) < 100 && v != math.Round(v) {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg && b.String() != "0" {
		return "-" + b.String()
	}
	return b.String()
}
