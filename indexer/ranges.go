package indexer

import (
	"fmt"
	"sort"
)

// Range is an inclusive span of block numbers.
type Range struct {
	From, To uint64
}

func (r Range) String() string { return fmt.Sprintf("%d-%d", r.From, r.To) }

// Len is the number of blocks in r.
func (r Range) Len() uint64 { return r.To - r.From + 1 }

// Ranges is a sorted list of non-overlapping, non-adjacent ranges.
type Ranges []Range

// Merge sorts rs and joins overlapping and adjacent ranges.
func Merge(rs []Range) Ranges {
	if len(rs) == 0 {
		return nil
	}
	s := append([]Range(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].From < s[j].From })
	out := Ranges{s[0]}
	for _, r := range s[1:] {
		last := &out[len(out)-1]
		if r.From <= last.To+1 {
			if r.To > last.To {
				last.To = r.To
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// Missing returns the parts of want not covered by rs.
func (rs Ranges) Missing(want Range) []Range {
	var out []Range
	next := want.From
	for _, r := range rs {
		if r.To < next {
			continue
		}
		if r.From > want.To {
			break
		}
		if r.From > next {
			out = append(out, Range{next, r.From - 1})
		}
		if r.To >= want.To {
			return out
		}
		next = r.To + 1
	}
	return append(out, Range{next, want.To})
}

// Split cuts r into consecutive batches of at most size blocks.
func (r Range) Split(size uint64) []Range {
	if size == 0 {
		size = 1
	}
	var out []Range
	for from := r.From; from <= r.To; from += size {
		to := from + size - 1
		if to > r.To || to < from {
			to = r.To
		}
		out = append(out, Range{from, to})
		if to == r.To {
			break
		}
	}
	return out
}

// Shard keeps the batches that belong to worker i of n (0-based), so n
// processes given the same range and batch size split it with no overlap.
func Shard(batches []Range, i, n int) []Range {
	if n <= 1 {
		return batches
	}
	var out []Range
	for k, b := range batches {
		if k%n == i {
			out = append(out, b)
		}
	}
	return out
}
