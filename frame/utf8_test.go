package frame

import (
	"testing"
	"unicode/utf8"
)

// completions are the boundaries of every continuation byte range a lead
// byte can demand, so trying them decides whether a tail can still become a
// valid rune.
var completionBytes = []byte{0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF}

// canComplete reports whether tail (at most 3 bytes) plus up to 3 more
// continuation bytes can be valid UTF-8.
func canComplete(tail []byte) bool {
	if utf8.Valid(tail) {
		return true
	}
	if len(tail) >= 4 {
		return false
	}
	for _, c := range completionBytes {
		if canComplete(append(tail[:len(tail):len(tail)], c)) {
			return true
		}
	}
	return false
}

// isPrefix is the reference for fail-fast: p can still be extended into
// valid UTF-8.
func isPrefix(p []byte) bool {
	for j := len(p); j >= 0 && j >= len(p)-3; j-- {
		if utf8.Valid(p[:j]) && canComplete(p[j:]) {
			return true
		}
	}
	return false
}

// firstBad returns how many bytes the streaming validator accepts when fed
// one byte at a time, and whether it ends complete.
func firstBad(p []byte) (int, bool) {
	var s utf8State
	for i := range p {
		if !s.feed(p[i : i+1]) {
			return i, false
		}
	}
	return len(p), s.complete()
}

// Sequences from Autobahn group 6 (and Markus Kuhn's stress test it uses),
// with the index of the byte at which validation must fail (-1: valid,
// len: valid prefix but incomplete at the end).
var utf8Cases = []struct {
	name string
	in   string
	fail int
}{
	{name: "empty", in: "", fail: -1},
	{name: "hello", in: "Hello-µ@ßöäüàá-UTF-8!!", fail: -1},
	{name: "kosme", in: "κόσμε", fail: -1},
	{name: "kosme then surrogate (6.3.1)", in: "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", fail: 12},
	{name: "first 4-byte", in: "\xf0\x90\x80\x80", fail: -1},
	{name: "last U+10FFFF", in: "\xf4\x8f\xbf\xbf", fail: -1},
	{name: "above U+10FFFF (6.4.1)", in: "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64", fail: 12},
	{name: "F5 lead", in: "\xf5\x80\x80\x80", fail: 0},
	{name: "lone continuation", in: "\x80", fail: 0},
	{name: "C0 overlong", in: "\xc0\xaf", fail: 0},
	{name: "C1 overlong", in: "\xc1\xbf", fail: 0},
	{name: "E0 overlong", in: "\xe0\x80\xaf", fail: 1},
	{name: "F0 overlong", in: "\xf0\x80\x80\xaf", fail: 1},
	{name: "F8 five-byte", in: "\xf8\x88\x80\x80\x80", fail: 0},
	{name: "FE", in: "\xfe", fail: 0},
	{name: "FF", in: "\xff", fail: 0},
	{name: "surrogate ED A0 80", in: "\xed\xa0\x80", fail: 1},
	{name: "surrogate pair", in: "\xed\xa0\x80\xed\xb0\x80", fail: 1},
	{name: "U+D7FF", in: "\xed\x9f\xbf", fail: -1},
	{name: "U+FFFF noncharacter ok", in: "\xef\xbf\xbf", fail: -1},
	{name: "lead then ASCII", in: "\xc2a", fail: 1},
	{name: "truncated 3-byte at end", in: "a\xe2\x82", fail: 3},
	{name: "truncated 4-byte at end", in: "\xf0\x9f\x98", fail: 3},
}

func TestUTF8FailFast(t *testing.T) {
	for _, tc := range utf8Cases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			n, complete := firstBad(in)
			switch {
			case tc.fail < 0:
				if n != len(in) || !complete {
					t.Fatalf("valid input rejected at %d (complete=%v)", n, complete)
				}
			case tc.fail == len(in):
				if n != len(in) || complete {
					t.Fatalf("got n=%d complete=%v, want incomplete prefix", n, complete)
				}
			default:
				if n != tc.fail {
					t.Fatalf("failed at %d, want %d", n, tc.fail)
				}
			}
			// The reference agrees on where the prefix stops being valid.
			for i := range len(in) + 1 {
				if isPrefix(in[:i]) != (i <= n) {
					t.Fatalf("reference disagrees at %d (validator stopped at %d)", i, n)
				}
			}
		})
	}
}

func TestUTF8MatchesStdlibOnAllTwoAndThreeByteStrings(t *testing.T) {
	// Every 2-byte string and every 3-byte string from a spread of bytes,
	// fed whole and byte by byte.
	spread := []byte{0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
		0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF}
	check := func(p []byte) {
		var whole utf8State
		okWhole := whole.feed(p) && whole.complete()
		n, complete := firstBad(p)
		okBytes := n == len(p) && complete
		if okWhole != utf8.Valid(p) || okBytes != utf8.Valid(p) {
			t.Fatalf("%x: whole=%v bytes=%v stdlib=%v", p, okWhole, okBytes, utf8.Valid(p))
		}
		if (n == len(p)) != isPrefix(p) {
			t.Fatalf("%x: prefix verdict %v, reference %v", p, n == len(p), isPrefix(p))
		}
	}
	for a := range 256 {
		for b := range 256 {
			check([]byte{byte(a), byte(b)})
		}
	}
	for _, a := range spread {
		for _, b := range spread {
			for _, c := range spread {
				for _, d := range spread {
					check([]byte{a, b, c, d})
				}
			}
		}
	}
}
