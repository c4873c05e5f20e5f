package frame

import "encoding/binary"

// ParseClosePayload validates the body of a close frame received from a
// peer and returns its code and reason. An empty body gives
// StatusNoStatusRcvd; a one-byte body or a code that is not ValidOnWire is
// a protocol error (1002); a reason that is not valid UTF-8 is a
// ProtocolError with StatusInvalidPayload (1007).
func ParseClosePayload(p []byte) (StatusCode, string, error) {
	switch len(p) {
	case 0:
		return StatusNoStatusRcvd, "", nil
	case 1:
		return 0, "", protocolErr("close frame body of one byte")
	}
	code := StatusCode(binary.BigEndian.Uint16(p))
	if !code.ValidOnWire() {
		return 0, "", protocolErr("invalid close status code")
	}
	reason := p[2:]
	if !validUTF8(reason) {
		return 0, "", ProtocolError{Code: StatusInvalidPayload, Reason: "close reason is not valid UTF-8"}
	}
	return code, string(reason), nil
}
