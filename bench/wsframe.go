package bench

import (
	"encoding/binary"
	"math/rand/v2"
)

// WebSocket opcodes the client handles.
const (
	opCont  = 0x0
	opText  = 0x1
	opBin   = 0x2
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// appendClientFrame appends one final, masked client frame (RFC 6455
// section 5.3) carrying payload to dst.
func appendClientFrame(dst []byte, op byte, payload []byte) []byte {
	dst = append(dst, 0x80|op)
	n := len(payload)
	switch {
	case n < 126:
		dst = append(dst, 0x80|byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 0x80|126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x80|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], rand.Uint32())
	dst = append(dst, key[:]...)
	start := len(dst)
	dst = append(dst, payload...)
	for i := range payload {
		dst[start+i] ^= key[i&3]
	}
	return dst
}

// frameHead is a parsed server frame header.
type frameHead struct {
	fin    bool
	op     byte
	masked bool
	hlen   int // header length in bytes
	plen   int // payload length
}

// parseServerFrame parses the header at the start of b. ok is false when
// b does not hold the whole header yet; bad when the header is invalid
// or the frame is longer than limit.
func parseServerFrame(b []byte, limit int) (h frameHead, ok, bad bool) {
	if len(b) < 2 {
		return h, false, false
	}
	h.fin = b[0]&0x80 != 0
	h.op = b[0] & 0x0F
	if b[0]&0x70 != 0 {
		return h, false, true
	}
	h.masked = b[1]&0x80 != 0
	l := int(b[1] & 0x7F)
	h.hlen = 2
	switch l {
	case 126:
		if len(b) < 4 {
			return h, false, false
		}
		l = int(binary.BigEndian.Uint16(b[2:]))
		h.hlen = 4
	case 127:
		if len(b) < 10 {
			return h, false, false
		}
		v := binary.BigEndian.Uint64(b[2:])
		if v > uint64(limit) {
			return h, false, true
		}
		l = int(v)
		h.hlen = 10
	}
	if h.masked {
		h.hlen += 4
	}
	if l > limit {
		return h, false, true
	}
	h.plen = l
	return h, len(b) >= h.hlen, false
}

// frameHeaderLen is the header length of a server frame, from its first
// two bytes.
func frameHeaderLen(b0, b1 byte) int {
	n := 2
	switch b1 & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}
