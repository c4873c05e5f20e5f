package frame

import (
	"encoding/binary"
	"unicode/utf8"
)

// maxCloseReason is the longest close reason: 125 - 2 bytes of code.
const maxCloseReason = maxControlPayload - 2

// AppendMessage appends one complete unmasked server frame (FIN set) with op
// and payload to dst. It does not allocate when dst has room.
func AppendMessage(dst []byte, op OpCode, payload []byte) []byte {
	dst = AppendHeader(dst, Header{Fin: true, OpCode: op, Length: int64(len(payload))})
	return append(dst, payload...)
}

// AppendClose appends an unmasked close frame to dst. Code 0 means an empty
// body (no code, no reason). The reason is cut to at most 123 bytes, at a
// UTF-8 boundary.
func AppendClose(dst []byte, code StatusCode, reason string) []byte {
	if code == 0 {
		return AppendHeader(dst, Header{Fin: true, OpCode: OpClose})
	}
	reason = truncateUTF8(reason, maxCloseReason)
	dst = AppendHeader(dst, Header{Fin: true, OpCode: OpClose, Length: int64(2 + len(reason))})
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}

// truncateUTF8 cuts s to at most max bytes without splitting a rune.
func truncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
