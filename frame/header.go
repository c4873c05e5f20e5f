package frame

import "encoding/binary"

// Header is a frame header (RFC 6455 5.2).
type Header struct {
	Fin bool
	// Rsv holds the three reserved bits as 0bRSV1RSV2RSV3 (RSV1 = 0x4).
	Rsv    byte
	OpCode OpCode
	Masked bool
	Mask   [4]byte
	// Length is the payload length.
	Length int64
}

// rsv1 is the RSV1 bit in Header.Rsv: "per-message compressed" under
// permessage-deflate.
const rsv1 = 0x4

// maxHeaderSize is the largest header: 2 + 8 (length) + 4 (mask).
const maxHeaderSize = 14

// maxControlPayload is the largest control frame payload (RFC 6455 5.5).
const maxControlPayload = 125

// ParseHeader parses a frame header at the start of b. If b holds fewer
// bytes than the header needs, it returns n == 0 and err == nil. Otherwise n
// is the header's size.
//
// It rejects what the header alone proves wrong whatever the negotiated
// extensions: a 64-bit length with the most significant bit set, and a
// control frame that is fragmented or longer than 125 bytes. Lengths not
// encoded in the minimal number of bytes are accepted. Opcode, reserved bits
// and masking depend on the connection and are checked by [Decoder].
func ParseHeader(b []byte) (h Header, n int, err error) {
	if len(b) < 2 {
		return h, 0, nil
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] >> 4) & 0x7
	h.OpCode = OpCode(b[0] & 0xF)
	h.Masked = b[1]&0x80 != 0
	n = 2
	switch l := b[1] & 0x7F; l {
	case 126:
		if len(b) < 4 {
			return Header{}, 0, nil
		}
		h.Length = int64(binary.BigEndian.Uint16(b[2:]))
		n = 4
	case 127:
		if len(b) < 10 {
			return Header{}, 0, nil
		}
		u := binary.BigEndian.Uint64(b[2:])
		if u>>63 != 0 {
			return Header{}, 0, protocolErr("frame length has the most significant bit set")
		}
		h.Length = int64(u)
		n = 10
	default:
		h.Length = int64(l)
	}
	if h.OpCode.IsControl() {
		if h.Length > maxControlPayload {
			return Header{}, 0, protocolErr("control frame longer than 125 bytes")
		}
		if !h.Fin {
			return Header{}, 0, protocolErr("fragmented control frame")
		}
	}
	if h.Masked {
		if len(b) < n+4 {
			return Header{}, 0, nil
		}
		copy(h.Mask[:], b[n:n+4])
		n += 4
	}
	return h, n, nil
}

// HeaderSize returns the number of bytes AppendHeader writes for h.
func HeaderSize(h Header) int {
	n := 2
	switch {
	case h.Length > 0xFFFF:
		n += 8
	case h.Length > 125:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// AppendHeader appends h in its minimal encoding to dst. Length must not be
// negative.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := byte(h.OpCode&0xF) | (h.Rsv&0x7)<<4
	if h.Fin {
		b0 |= 0x80
	}
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	switch {
	case h.Length > 0xFFFF:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(h.Length))
	case h.Length > 125:
		dst = append(dst, b0, b1|126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.Length))
	default:
		dst = append(dst, b0, b1|byte(h.Length))
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}
