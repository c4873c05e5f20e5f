package frame

// StatusCode is a close status code (RFC 6455 7.4).
type StatusCode uint16

// Status codes from RFC 6455 7.4.1.
const (
	StatusNormalClosure      StatusCode = 1000
	StatusGoingAway          StatusCode = 1001
	StatusProtocolError      StatusCode = 1002
	StatusUnsupportedData    StatusCode = 1003
	StatusNoStatusRcvd       StatusCode = 1005
	StatusAbnormalClosure    StatusCode = 1006
	StatusInvalidPayload     StatusCode = 1007
	StatusPolicyViolation    StatusCode = 1008
	StatusMessageTooBig      StatusCode = 1009
	StatusMandatoryExtension StatusCode = 1010
	StatusInternalError      StatusCode = 1011
)

// ValidOnWire reports whether c may appear in a close frame received from a
// peer: 1000-1003, 1007-1014 (1012-1014 are registered with IANA) and the
// application/private range 3000-4999. 1004-1006, 1015, everything below
// 1000, 1016-2999 and 5000 and above are invalid.
func (c StatusCode) ValidOnWire() bool {
	switch {
	case c >= 1000 && c <= 1003:
		return true
	case c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}
