package rpcsource

import (
	"bytes"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// TestDecodeHexMatchesEncodingHex checks the decoder against encoding/hex:
// every byte value in every position of short strings, and random strings
// of many lengths with and without a non-digit.
func TestDecodeHexMatchesEncodingHex(t *testing.T) {
	check := func(src []byte) {
		t.Helper()
		want, err := hex.DecodeString(string(src))
		got := make([]byte, len(src)/2)
		ok := decodeHex(got, src)
		if ok != (err == nil) {
			t.Fatalf("%q: decodeHex ok=%v, encoding/hex err=%v", src, ok, err)
		}
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("%q: got %x, want %x", src, got, want)
		}
	}
	for _, n := range []int{2, 8, 10, 16} {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				src := []byte("0123456789abcdefABCDEF"[:n])
				src[pos] = byte(c)
				check(src)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	const digits = "0123456789abcdefABCDEF"
	for i := 0; i < 20000; i++ {
		src := make([]byte, 2*r.IntN(40))
		for k := range src {
			src[k] = digits[r.IntN(len(digits))]
		}
		if len(src) > 0 && r.IntN(3) == 0 {
			src[r.IntN(len(src))] = byte(r.IntN(256))
		}
		check(src)
	}
}

func BenchmarkDecodeHex(b *testing.B) {
	src := []byte(hex.EncodeToString(bytes.Repeat([]byte{0x12, 0xab, 0xcd, 0xef, 0x09}, 200)))
	dst := make([]byte, len(src)/2)
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		if !decodeHex(dst, src) {
			b.Fatal("bad hex")
		}
	}
}
