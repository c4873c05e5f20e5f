package hubcore

import "encoding/binary"

// WebSocket opcodes (RFC 6455 section 5.2) of the frames AppendFrame
// writes.
const (
	OpText  = 0x1
	OpClose = 0x8
	OpPong  = 0xA
)

// AppendFrame appends payload as one final, unmasked frame of opcode
// op (a server does not mask, RFC 6455 section 5.1), so the same bytes
// serve every subscriber. Control frames (op >= 0x8) must carry at most
// 125 bytes (section 5.5); AppendFrame does not check.
func AppendFrame(dst []byte, op byte, payload []byte) []byte {
	dst = append(dst, 0x80|op)
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xFFFF:
		dst = append(dst, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}
