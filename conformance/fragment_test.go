package conformance

import (
	"fmt"
	"testing"
)

// frag cuts s into a message of fragments: the first ones of the given
// sizes, the last one with the rest.
func frag(op byte, s string, sizes ...int) []frm {
	var fs []frm
	p := []byte(s)
	for _, n := range sizes {
		fs = append(fs, frm{op: opCont, payload: p[:n]})
		p = p[n:]
	}
	fs = append(fs, frm{fin: true, op: opCont, payload: p})
	fs[0].op = op
	return fs
}

// Group 5: fragmented messages are reassembled, control frames may come
// between fragments, fragmented control frames and continuations without a
// start fail with 1002.
func TestGroup5Fragmentation(t *testing.T) {
	addr := echoNode(t)
	// 5.1, 5.2: control frames must not be fragmented.
	for _, op := range []byte{opPing, opPong} {
		t.Run(fmt.Sprintf("fragmented control 0x%x", op), func(t *testing.T) {
			c := dial(t, addr)
			c.send(frm{op: op, payload: []byte("fragment1")}, frm{fin: true, op: opCont, payload: []byte("fragment2")})
			c.expectClose(1002)
		})
	}
	// 5.3-5.5: a message in two fragments, as frames, byte by byte.
	for _, chunk := range []int{0, 1, 3} {
		for _, op := range []byte{opText, opBinary} {
			t.Run(fmt.Sprintf("two fragments op%d chunk%d", op, chunk), func(t *testing.T) {
				c := dial(t, addr)
				fs := frag(op, "fragment1fragment2", 9)
				c.sendEach(chunk, fs...)
				c.expect(op, []byte("fragment1fragment2"))
				c.closeNormally()
			})
		}
	}
	// 5.6-5.8: a ping between the fragments is answered first.
	for _, chunk := range []int{0, 1} {
		t.Run(fmt.Sprintf("ping between fragments chunk%d", chunk), func(t *testing.T) {
			c := dial(t, addr)
			fs := frag(opText, "fragment1fragment2", 9)
			c.sendEach(chunk, fs[0], ping("pongme!"), fs[1])
			c.expect(opPong, []byte("pongme!"))
			c.expect(opText, []byte("fragment1fragment2"))
			c.closeNormally()
		})
	}
	// 5.9-5.17: continuations with nothing to continue.
	bad := map[string][]frm{
		"continuation fin=1 first": {
			{fin: true, op: opCont, payload: []byte("non-continuation payload")}, text("Hello, world!")},
		"continuation fin=0 first": {
			{op: opCont, payload: []byte("non-continuation payload")}, text("Hello, world!")},
		"continuations only": {
			{op: opCont, payload: []byte("fragment1")}, {op: opCont, payload: []byte("fragment2")},
			{fin: true, op: opCont, payload: []byte("fragment3")}},
	}
	for name, fs := range bad {
		for _, chunk := range []int{0, 1} {
			t.Run(fmt.Sprintf("%s chunk%d", name, chunk), func(t *testing.T) {
				c := dial(t, addr)
				c.sendEach(chunk, fs...)
				c.expectClose(1002)
			})
		}
	}
	// 5.15: a whole fragmented message, then a continuation with nothing
	// to continue: the first message is echoed, then 1002.
	t.Run("message then stray continuation", func(t *testing.T) {
		c := dial(t, addr)
		fs := frag(opText, "fragment1fragment2", 9)
		c.send(append(fs, frm{op: opCont, payload: []byte("fragment3")}, text("fragment4"))...)
		c.expect(opText, []byte("fragment1fragment2"))
		c.expectClose(1002)
	})
	// 5.18: a new data frame while a fragmented message is open.
	t.Run("text inside a fragmented message", func(t *testing.T) {
		c := dial(t, addr)
		c.send(frm{op: opText, payload: []byte("fragment1")}, frm{fin: true, op: opText, payload: []byte("fragment2")})
		c.expectClose(1002)
	})
	// 5.19, 5.20: five fragments with pings between them.
	for _, chunk := range []int{0, 1} {
		t.Run(fmt.Sprintf("five fragments two pings chunk%d", chunk), func(t *testing.T) {
			c := dial(t, addr)
			fs := frag(opText, "fragment1fragment2fragment3fragment4fragment5", 9, 9, 9, 9)
			c.sendEach(chunk, fs[0], fs[1], ping("pongme 1!"), fs[2], fs[3], ping("pongme 2!"), fs[4])
			c.expect(opPong, []byte("pongme 1!"))
			c.expect(opPong, []byte("pongme 2!"))
			c.expect(opText, []byte("fragment1fragment2fragment3fragment4fragment5"))
			c.closeNormally()
		})
	}
	// A close frame between fragments closes the connection; the
	// unfinished message is never echoed.
	t.Run("close between fragments", func(t *testing.T) {
		c := dial(t, addr)
		fs := frag(opText, "fragment1fragment2", 9)
		c.send(fs[0], closeFrame(1000, ""), fs[1])
		c.expectClose(1000)
	})
}

// sendEach writes frames one write per frame (chunk 0) or as one stream
// in chunk-byte writes.
func (c *client) sendEach(chunk int, fs ...frm) {
	c.t.Helper()
	if chunk == 0 {
		c.send(fs...)
		return
	}
	c.sendChunked(chunk, fs...)
}
