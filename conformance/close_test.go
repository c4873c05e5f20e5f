package conformance

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// Group 7: the close handshake. The server answers a close frame with its
// code and then closes TCP; it ignores anything sent after the close;
// invalid codes and malformed close bodies fail the connection.
func TestGroup7CloseHandshake(t *testing.T) {
	addr := echoNode(t)
	t.Run("message then close", func(t *testing.T) {
		c := dial(t, addr)
		c.send(text("Hello World!"))
		c.expect(opText, []byte("Hello World!"))
		c.closeNormally()
	})
	t.Run("close twice", func(t *testing.T) {
		c := dial(t, addr)
		c.send(closeFrame(1000, ""), closeFrame(1000, ""))
		c.expectClose(1000)
	})
	t.Run("ping after close", func(t *testing.T) {
		c := dial(t, addr)
		c.send(closeFrame(1000, ""), ping("Hello World!"))
		c.expectClose(1000) // no pong
	})
	t.Run("text after close", func(t *testing.T) {
		c := dial(t, addr)
		c.send(closeFrame(1000, ""), text("Hello World!"))
		c.expectClose(1000) // no echo
	})
	t.Run("close inside a fragmented message", func(t *testing.T) {
		c := dial(t, addr)
		c.send(frm{op: opText, payload: []byte("fragment1")}, closeFrame(1000, ""),
			frm{fin: true, op: opCont, payload: []byte("fragment2")})
		c.expectClose(1000)
	})
	t.Run("large message, close, ping", func(t *testing.T) {
		c := dial(t, addr)
		p := payload(256 << 10)
		c.send(text(string(p)), closeFrame(1000, ""), ping("Hello World!"))
		c.expect(opText, p)
		c.expectClose(1000)
	})
	t.Run("empty close body", func(t *testing.T) {
		c := dial(t, addr)
		c.send(closeFrame(0, ""))
		c.expectClose(1005) // answered with an empty body too
	})
	t.Run("one-byte close body", func(t *testing.T) {
		c := dial(t, addr)
		c.send(frm{fin: true, op: opClose, payload: []byte{0x03}})
		c.expectClose(1002)
	})
	t.Run("code and reason", func(t *testing.T) {
		c := dial(t, addr)
		c.send(closeFrame(1000, "Hello World!"))
		c.expectClose(1000)
	})
	t.Run("123-byte reason", func(t *testing.T) {
		c := dial(t, addr)
		c.send(closeFrame(1000, strings.Repeat("*", 123)))
		c.expectClose(1000)
	})
	t.Run("124-byte reason", func(t *testing.T) {
		c := dial(t, addr)
		c.send(closeFrame(1000, strings.Repeat("*", 124))) // body of 126 bytes
		c.expectClose(1002)
	})
	t.Run("reason not UTF-8", func(t *testing.T) {
		c := dial(t, addr)
		c.send(closeFrame(1000, kosme+"\xed\xa0\x80edited"))
		c.expectClose(1007)
	})
	for _, code := range []uint16{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		t.Run(fmt.Sprintf("valid code %d", code), func(t *testing.T) {
			c := dial(t, addr)
			c.send(closeFrame(code, ""))
			c.expectClose(code)
		})
	}
	for _, code := range []uint16{0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		t.Run(fmt.Sprintf("invalid code %d", code), func(t *testing.T) {
			c := dial(t, addr)
			c.send(frm{fin: true, op: opClose, payload: []byte{byte(code >> 8), byte(code)}})
			c.expectClose(1002)
		})
	}
	t.Run("close byte by byte", func(t *testing.T) {
		c := dial(t, addr)
		c.sendChunked(1, closeFrame(1001, "going"))
		c.expectClose(1001)
	})
	t.Run("data after close is not read", func(t *testing.T) {
		c := dial(t, addr)
		junk := bytes.Repeat([]byte{0xff}, 64) // not even a valid frame
		c.write(append(enc(closeFrame(1000, "")), junk...))
		c.expectClose(1000)
	})
}
