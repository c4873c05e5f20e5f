package frame

import "strconv"

// ProtocolError is a violation of the protocol by the peer. The connection
// must be closed with Code (1002 protocol error, 1007 invalid payload,
// 1009 message too big). It is a value type: read it with errors.As.
type ProtocolError struct {
	Code   StatusCode
	Reason string
}

// Error returns the reason.
func (e ProtocolError) Error() string { return e.Reason }

// CloseError is a close frame received from the peer, for callers that want
// to report it as an error. It is a value type: read it with errors.As.
type CloseError struct {
	Code   StatusCode
	Reason string
}

// Error describes the close frame.
func (e CloseError) Error() string {
	if e.Reason == "" {
		return "websocket closed by peer with status " + strconv.Itoa(int(e.Code))
	}
	return "websocket closed by peer with status " + strconv.Itoa(int(e.Code)) + ": " + e.Reason
}

func protocolErr(reason string) error {
	return ProtocolError{Code: StatusProtocolError, Reason: reason}
}
