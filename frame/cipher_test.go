package frame

import (
	"bytes"
	"testing"
)

func naiveCipher(b []byte, mask [4]byte, pos int) {
	for i := range b {
		b[i] ^= mask[(pos+i)%4]
	}
}

func TestCipherMatchesNaive(t *testing.T) {
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(i*7 + 3)
	}
	for n := 0; n <= len(src); n++ {
		for pos := range 4 {
			want := bytes.Clone(src[:n])
			naiveCipher(want, testMask, pos)
			got := bytes.Clone(src[:n])
			next := Cipher(got, testMask, pos)
			if !bytes.Equal(got, want) {
				t.Fatalf("n=%d pos=%d: mismatch", n, pos)
			}
			if next != (pos+n)%4 {
				t.Fatalf("n=%d pos=%d: next=%d, want %d", n, pos, next, (pos+n)%4)
			}
		}
	}
}

func TestCipherInPieces(t *testing.T) {
	src := []byte("a payload long enough to cross several 8-byte words, split anywhere")
	want := bytes.Clone(src)
	naiveCipher(want, testMask, 0)
	for cut1 := range len(src) {
		for _, cut2 := range []int{cut1, (cut1 + len(src)) / 2, len(src)} {
			got := bytes.Clone(src)
			pos := Cipher(got[:cut1], testMask, 0)
			pos = Cipher(got[cut1:cut2], testMask, pos)
			Cipher(got[cut2:], testMask, pos)
			if !bytes.Equal(got, want) {
				t.Fatalf("cuts %d,%d: mismatch", cut1, cut2)
			}
		}
	}
}
