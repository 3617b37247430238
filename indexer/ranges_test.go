package indexer

import (
	"math"
	"reflect"
	"testing"
)

// Block ranges need neither a node nor a database.

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		in, want []Range
	}{
		{nil, nil},
		{[]Range{{5, 9}}, []Range{{5, 9}}},
		{[]Range{{10, 20}, {0, 4}, {5, 9}}, []Range{{0, 20}}},            // adjacent join
		{[]Range{{0, 10}, {3, 4}, {20, 30}}, []Range{{0, 10}, {20, 30}}}, // contained, gap kept
		{[]Range{{0, 10}, {8, 15}}, []Range{{0, 15}}},                    // overlap
	} {
		if got := Merge(tc.in); !reflect.DeepEqual([]Range(got), tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("Merge(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestMissing(t *testing.T) {
	done := Merge([]Range{{10, 19}, {30, 39}})
	for _, tc := range []struct {
		want Range
		gaps []Range
	}{
		{Range{0, 9}, []Range{{0, 9}}},
		{Range{10, 19}, nil},
		{Range{5, 35}, []Range{{5, 9}, {20, 29}}},
		{Range{15, 50}, []Range{{20, 29}, {40, 50}}},
		{Range{40, 40}, []Range{{40, 40}}},
	} {
		if got := done.Missing(tc.want); !reflect.DeepEqual(got, tc.gaps) {
			t.Errorf("Missing(%v) = %v, want %v", tc.want, got, tc.gaps)
		}
	}
}

func TestSplitAndShard(t *testing.T) {
	got := Range{1, 25}.Split(10)
	if want := []Range{{1, 10}, {11, 20}, {21, 25}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Split = %v, want %v", got, want)
	}
	// The top of the uint64 range does not wrap around.
	top := Range{math.MaxUint64 - 4, math.MaxUint64}.Split(3)
	if len(top) != 2 || top[1].To != math.MaxUint64 {
		t.Fatalf("Split near the top = %v", top)
	}
	// N shards cover every batch exactly once.
	batches := Range{0, 999}.Split(7)
	seen := map[Range]int{}
	for i := range 4 {
		for _, b := range Shard(batches, i, 4) {
			seen[b]++
		}
	}
	if len(seen) != len(batches) {
		t.Fatalf("4 shards cover %d of %d batches", len(seen), len(batches))
	}
	for b, n := range seen {
		if n != 1 {
			t.Fatalf("batch %v taken %d times", b, n)
		}
	}
}
