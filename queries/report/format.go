package report

// FormatCount and FormatGrowth format figures as the text report prints
// them (1,234,567; +27.5%), for other renderings of a report (the page
// `ethidx serve` shows).
func FormatCount(v float64) string { return thousands(v) }

// FormatGrowth is FormatCount's partner for growth percentages.
func FormatGrowth(g *float64) string { return pct(g) }
