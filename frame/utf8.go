package frame

import (
	"encoding/binary"
	"unicode/utf8"
)

// utf8State is a streaming UTF-8 validator that fails fast: feed reports
// false as soon as the bytes seen so far can no longer be the prefix of valid
// UTF-8 (overlong forms, surrogates U+D800-U+DFFF, code points above
// U+10FFFF, stray continuation bytes), even in the middle of a sequence.
// Between calls it carries only the unfinished sequence: how many
// continuation bytes are still due and the range the next one must fall in.
// The zero value is the start state.
type utf8State struct {
	need   uint8 // continuation bytes still due
	lo, hi uint8 // allowed range of the next continuation byte
}

// complete reports whether no sequence is left unfinished.
func (s utf8State) complete() bool { return s.need == 0 }

// feed validates p as the continuation of what s has seen.
func (s *utf8State) feed(p []byte) bool {
	i := 0
	need, lo, hi := s.need, s.lo, s.hi
	for {
		for need > 0 {
			if i == len(p) {
				s.need, s.lo, s.hi = need, lo, hi
				return true
			}
			if c := p[i]; c < lo || c > hi {
				return false
			}
			lo, hi = 0x80, 0xBF
			need--
			i++
		}
		i = skipASCII(p, i)
		if i == len(p) {
			*s = utf8State{}
			return true
		}
		var ok bool
		need, lo, hi, ok = leadByte(p[i])
		if !ok {
			return false
		}
		i++
	}
}

// skipASCII returns the index of the first non-ASCII byte of p at or after i.
func skipASCII(p []byte, i int) int {
	for i+8 <= len(p) && binary.LittleEndian.Uint64(p[i:])&0x8080808080808080 == 0 {
		i += 8
	}
	for i < len(p) && p[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// leadByte classifies the first byte of a multi-byte sequence (RFC 3629
// section 4): how many continuation bytes follow and the range the first of
// them must fall in, which is what excludes overlongs, surrogates and code
// points above U+10FFFF.
func leadByte(b byte) (need, lo, hi uint8, ok bool) {
	switch {
	case b >= 0xC2 && b <= 0xDF:
		return 1, 0x80, 0xBF, true
	case b == 0xE0:
		return 2, 0xA0, 0xBF, true
	case b == 0xED:
		return 2, 0x80, 0x9F, true
	case b >= 0xE1 && b <= 0xEF:
		return 2, 0x80, 0xBF, true
	case b == 0xF0:
		return 3, 0x90, 0xBF, true
	case b >= 0xF1 && b <= 0xF3:
		return 3, 0x80, 0xBF, true
	case b == 0xF4:
		return 3, 0x80, 0x8F, true
	}
	return 0, 0, 0, false
}

// validUTF8 reports whether p is complete, valid UTF-8.
func validUTF8(p []byte) bool { return utf8.Valid(p) }
