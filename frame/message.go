package frame

// MessageKind says what Decode produced.
type MessageKind uint8

// Message kinds.
const (
	// KindNone: a frame was consumed (a non-final fragment) but no message
	// is complete yet.
	KindNone MessageKind = iota
	// KindData: a complete text or binary message.
	KindData
	// KindPing, KindPong, KindClose: a control frame.
	KindPing
	KindPong
	KindClose
)

// String returns the kind's name.
func (k MessageKind) String() string {
	switch k {
	case KindNone:
		return "none"
	case KindData:
		return "data"
	case KindPing:
		return "ping"
	case KindPong:
		return "pong"
	case KindClose:
		return "close"
	}
	return "unknown"
}

// Message is one result of [Decoder.Decode].
type Message struct {
	Kind MessageKind
	// OpCode is OpText or OpBinary for KindData, the control opcode otherwise.
	OpCode OpCode
	// Payload is the unmasked (and inflated) message body. See Decode for
	// how long it stays valid.
	Payload []byte
	// Code and Reason are filled for KindClose (StatusNoStatusRcvd and ""
	// for an empty close body).
	Code   StatusCode
	Reason string
}
