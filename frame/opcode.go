package frame

// OpCode is the 4-bit frame opcode (RFC 6455 5.2).
type OpCode byte

// Opcodes defined by RFC 6455 5.2. The others are reserved.
const (
	OpContinuation OpCode = 0x0
	OpText         OpCode = 0x1
	OpBinary       OpCode = 0x2
	OpClose        OpCode = 0x8
	OpPing         OpCode = 0x9
	OpPong         OpCode = 0xA
)

// IsControl reports whether o is a control opcode (close, ping, pong or a
// reserved control opcode 0xB-0xF).
func (o OpCode) IsControl() bool { return o&0x8 != 0 }

// IsData reports whether o is text, binary or continuation.
func (o OpCode) IsData() bool { return o <= OpBinary }

// defined reports whether o is one of the six opcodes RFC 6455 defines.
func (o OpCode) defined() bool {
	return o.IsData() || (o >= OpClose && o <= OpPong)
}

// String returns the opcode's RFC name.
func (o OpCode) String() string {
	switch o {
	case OpContinuation:
		return "continuation"
	case OpText:
		return "text"
	case OpBinary:
		return "binary"
	case OpClose:
		return "close"
	case OpPing:
		return "ping"
	case OpPong:
		return "pong"
	}
	return "reserved"
}
