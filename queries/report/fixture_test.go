package report

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
	for i := 0; ; i++ {
		if i >= len(g) || i >= len(w) || !bytes.Equal(g[i], w[i]) {
			line := func(l [][]byte) []byte {
				if i < len(l) {
					return l[i]
				}
				return []byte("(end of file)")
			}
			t.Errorf("%s differs from the golden file from line %d (go test -update rewrites it):\ngot:  %s\nwant: %s",
				name, i+1, line(g), line(w))
			return
		}
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// fixture is a report on January 2026 built in memory, no engine: daily
// series with a weekly rhythm and growth into January, December 31
// and January 11 not fully indexed (hollow points, left out of the
// means), January 10 not indexed at all (the lines break), and a burst
// of activity in the last days of January, where each panel's January
// label would sit if it were not placed around the series.
func fixture() *Report {
	first, end := date(2025, 12, 1), date(2026, 2, 1)
	r := &Report{}
	for d, i := first, 0; d.Before(end); d, i = d.AddDate(0, 0, 1), i+1 {
		if d.Equal(date(2026, 1, 10)) {
			continue
		}
		week := 1 + 0.08*math.Sin(2*math.Pi*float64(i)/7)
		growth := 1 + 0.006*float64(i)
		if d.After(date(2026, 1, 24)) {
			growth *= 1.35
		}
		day := Day{Day: d, Complete: 1, Blocks: 7200}
		if d.Equal(date(2025, 12, 31)) || d.Equal(date(2026, 1, 11)) {
			day.Complete, day.Blocks, week = 0, 3100, week*0.43
		}
		day.ActiveAddresses = uint64(480_000 * week * growth)
		day.ActiveSenders = day.ActiveAddresses * 11 / 20
		day.NewAddresses = uint64(150_000 * week * growth * growth)
		day.TxCount = uint64(1_250_000 * week * growth)
		day.TxSuccess = day.TxCount * 97 / 100
		r.Days = append(r.Days, day)
	}
	r.Prev = fixtureMonth(r.Days, first, true)
	r.Month = fixtureMonth(r.Days, date(2026, 1, 1), true)
	setGrowth(&r.Month, r.Prev)
	return r
}

// fixtureMonth sums month m's fully indexed days as monthly_growth does.
func fixtureMonth(days []Day, m time.Time, exact bool) Month {
	out := Month{Month: m, DaysInMonth: uint8(m.AddDate(0, 1, -1).Day())}
	var active, senders float64
	for _, d := range days {
		if d.Complete == 0 || d.Day.Before(m) || !d.Day.Before(m.AddDate(0, 1, 0)) {
			continue
		}
		out.DaysCovered++
		active += float64(d.ActiveAddresses)
		senders += float64(d.ActiveSenders)
		out.NewAddresses += d.NewAddresses
		out.Transactions += d.TxCount
	}
	if out.DaysCovered < uint64(out.DaysInMonth) {
		out.Partial = 1
	}
	if exact {
		out.NewExact = 1
	}
	n := float64(out.DaysCovered)
	if n > 0 {
		out.ActiveMean, out.SendersMean = active/n, senders/n
		out.NewPerDay, out.TxPerDay = float64(out.NewAddresses)/n, float64(out.Transactions)/n
	}
	return out
}

// setGrowth fills m's month-over-month figures against prev, rounded to
// one decimal as the view rounds them.
func setGrowth(m *Month, prev Month) {
	if prev.DaysCovered == 0 {
		return
	}
	g := func(cur, old float64) *float64 {
		v := math.Round((cur/old-1)*1000) / 10
		return &v
	}
	m.ActiveGrowth = g(m.ActiveMean, prev.ActiveMean)
	m.SendersGrowth = g(m.SendersMean, prev.SendersMean)
	m.NewGrowth = g(float64(m.NewAddresses), float64(prev.NewAddresses))
	m.TxGrowth = g(float64(m.Transactions), float64(prev.Transactions))
	m.NewPerDayGrowth = g(m.NewPerDay, prev.NewPerDay)
	m.TxPerDayGrowth = g(m.TxPerDay, prev.TxPerDay)
	p := prev.Partial
	m.PrevPartial = &p
}
