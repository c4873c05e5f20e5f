package conformance

import (
	"bytes"
	"fmt"
	"testing"
)

// payload returns n bytes of printable ASCII (valid UTF-8 for text cases)
// that differ from position to position.
func payload(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('!' + i%94)
	}
	return b
}

// Group 1: text and binary messages of every length form, echoed intact.
func TestGroup1Framing(t *testing.T) {
	addr := echoNode(t)
	// 0..125 use the 7-bit length, 126..65535 the 16-bit one, 65536 the
	// 64-bit one.
	lengths := []int{0, 125, 126, 127, 128, 65535, 65536}
	for _, op := range []byte{opText, opBinary} {
		for _, n := range lengths {
			t.Run(fmt.Sprintf("op%d/len%d", op, n), func(t *testing.T) {
				c := dial(t, addr)
				p := payload(n)
				c.send(frm{fin: true, op: op, payload: p})
				c.expect(op, p)
				c.closeNormally()
			})
		}
		// 1.1.8 / 1.2.8: 65536 bytes written in chunks of 997 bytes.
		t.Run(fmt.Sprintf("op%d/len65536/chunks997", op), func(t *testing.T) {
			c := dial(t, addr)
			p := payload(65536)
			c.sendChunked(997, frm{fin: true, op: op, payload: p})
			c.expect(op, p)
			c.closeNormally()
		})
	}
}

// Group 2: pings are answered with pongs carrying the same payload,
// unsolicited pongs are ignored, a ping over 125 bytes fails with 1002.
func TestGroup2PingPong(t *testing.T) {
	addr := echoNode(t)
	answered := map[string][]byte{
		"empty":     nil,
		"text":      []byte("Hello, world!"),
		"binary":    {0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff},
		"125 bytes": bytes.Repeat([]byte{0xfe}, 125),
	}
	for name, p := range answered {
		t.Run("ping/"+name, func(t *testing.T) {
			c := dial(t, addr)
			c.send(frm{fin: true, op: opPing, payload: p})
			c.expect(opPong, p)
			c.closeNormally()
		})
	}
	t.Run("ping/126 bytes", func(t *testing.T) {
		c := dial(t, addr)
		c.send(frm{fin: true, op: opPing, payload: bytes.Repeat([]byte{0xfe}, 126)})
		c.expectClose(1002)
	})
	t.Run("ping/125 bytes byte by byte", func(t *testing.T) {
		c := dial(t, addr)
		p := bytes.Repeat([]byte{0xfe}, 125)
		c.sendChunked(1, frm{fin: true, op: opPing, payload: p})
		c.expect(opPong, p)
		c.closeNormally()
	})
	t.Run("unsolicited pong", func(t *testing.T) {
		c := dial(t, addr)
		c.send(pong(""))
		c.closeNormally() // nothing may come before the close answer
	})
	t.Run("unsolicited pong with payload", func(t *testing.T) {
		c := dial(t, addr)
		c.send(pong("unsolicited pong payload"))
		c.closeNormally()
	})
	t.Run("unsolicited pong then ping", func(t *testing.T) {
		c := dial(t, addr)
		c.send(pong("unsolicited pong payload"), ping("ping payload"))
		c.expect(opPong, []byte("ping payload"))
		c.closeNormally()
	})
	for _, chunk := range []int{0, 1} {
		t.Run(fmt.Sprintf("10 pings chunk %d", chunk), func(t *testing.T) {
			c := dial(t, addr)
			var fs []frm
			for i := range 10 {
				fs = append(fs, ping(fmt.Sprintf("payload-%d", i)))
			}
			if chunk == 0 {
				c.send(fs...)
			} else {
				c.sendChunked(chunk, fs...)
			}
			for i := range 10 {
				c.expect(opPong, fmt.Appendf(nil, "payload-%d", i))
			}
			c.closeNormally()
		})
	}
}

// Group 3: a frame with a reserved bit set (no extension negotiated) fails
// the connection with 1002; what came before it is still answered.
func TestGroup3ReservedBits(t *testing.T) {
	addr := echoNode(t)
	cases := []struct {
		name    string
		bad     frm
		chunked bool
	}{
		{"text rsv1", frm{fin: true, rsv: 1, op: opText, payload: []byte("Hello, world!")}, false},
		{"text rsv2", frm{fin: true, rsv: 2, op: opText, payload: []byte("Hello, world!")}, false},
		{"text rsv3", frm{fin: true, rsv: 3, op: opText, payload: []byte("Hello, world!")}, false},
		{"text rsv4 byte by byte", frm{fin: true, rsv: 4, op: opText, payload: []byte("Hello, world!")}, true},
		{"binary rsv5", frm{fin: true, rsv: 5, op: opBinary, payload: []byte{0xff, 0xfe, 0xfd}}, false},
		{"ping rsv6", frm{fin: true, rsv: 6, op: opPing, payload: []byte("Hello, world!")}, false},
		{"close rsv7", frm{fin: true, rsv: 7, op: opClose, payload: []byte{0x03, 0xe8}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, addr)
			all := []frm{text("before"), tc.bad, ping("after")}
			if tc.chunked {
				c.sendChunked(1, all...)
			} else {
				c.send(all...)
			}
			c.expect(opText, []byte("before"))
			c.expectClose(1002)
		})
	}
}

// Group 4: reserved opcodes, data (3-7) and control (11-15), fail the
// connection with 1002.
func TestGroup4ReservedOpcodes(t *testing.T) {
	addr := echoNode(t)
	for _, op := range []byte{3, 4, 5, 6, 7, 11, 12, 13, 14, 15} {
		for _, withPayload := range []bool{false, true} {
			t.Run(fmt.Sprintf("op%d/payload=%v", op, withPayload), func(t *testing.T) {
				c := dial(t, addr)
				bad := frm{fin: true, op: op}
				if withPayload {
					bad.payload = []byte("reserved opcode payload")
				}
				c.send(text("before"), bad, ping("after"))
				c.expect(opText, []byte("before"))
				c.expectClose(1002)
			})
		}
	}
}

// A server must fail an unmasked client frame (RFC 6455 5.1).
func TestUnmaskedFrame(t *testing.T) {
	addr := echoNode(t)
	c := dial(t, addr)
	c.send(text("before"))
	c.expect(opText, []byte("before"))
	c.write(encUnmasked(text("unmasked")))
	c.expectClose(1002)
}

// An invalid frame start fails at once: the first byte alone (reserved
// bits, reserved opcode, fragmented control frame) or the first two
// (unmasked, control frame over 125 bytes) decide it, so the server must
// not wait for a header that never completes.
func TestInvalidHeaderFailsFast(t *testing.T) {
	addr := echoNode(t)
	starts := map[string][]byte{
		"rsv bits":             {0xf1},
		"reserved opcode":      {0x83},
		"fragmented ping":      {0x09},
		"unmasked 64-bit text": {0x81, 0x7f},
		"ping of 126 bytes":    {0x89, 0xfe},
		"continuation first":   {0x80, 0xff},
	}
	for name, b := range starts {
		t.Run(name, func(t *testing.T) {
			c := dial(t, addr)
			c.write(b) // the rest of the header is never sent
			c.expectClose(1002)
		})
	}
}
