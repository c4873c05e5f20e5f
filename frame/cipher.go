package frame

import "encoding/binary"

// Cipher XORs b in place with mask, starting at position pos (0..3) of the
// mask, and returns the position to continue from. Masking and unmasking are
// the same operation (RFC 6455 5.3).
func Cipher(b []byte, mask [4]byte, pos int) int {
	pos &= 3
	i := 0
	// Bytes one by one until the mask position wraps to 0, so the bulk below
	// can use the mask as one 64-bit word.
	for ; pos != 0 && i < len(b); i++ {
		b[i] ^= mask[pos]
		pos = (pos + 1) & 3
	}
	if rest := b[i:]; len(rest) >= 8 {
		m32 := uint64(binary.LittleEndian.Uint32(mask[:]))
		m := m32 | m32<<32
		for len(rest) >= 32 {
			binary.LittleEndian.PutUint64(rest, binary.LittleEndian.Uint64(rest)^m)
			binary.LittleEndian.PutUint64(rest[8:], binary.LittleEndian.Uint64(rest[8:])^m)
			binary.LittleEndian.PutUint64(rest[16:], binary.LittleEndian.Uint64(rest[16:])^m)
			binary.LittleEndian.PutUint64(rest[24:], binary.LittleEndian.Uint64(rest[24:])^m)
			rest = rest[32:]
		}
		for len(rest) >= 8 {
			binary.LittleEndian.PutUint64(rest, binary.LittleEndian.Uint64(rest)^m)
			rest = rest[8:]
		}
		i = len(b) - len(rest)
	}
	for ; i < len(b); i++ {
		b[i] ^= mask[pos]
		pos = (pos + 1) & 3
	}
	return pos
}
