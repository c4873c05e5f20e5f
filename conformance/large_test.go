package conformance

import (
	"fmt"
	"testing"
)

// sendAsync writes the frames from a goroutine so the test can read echoes
// while a large write is still going; it reports a write error on done.
func (c *client) sendAsync(chunk int, fs ...frm) <-chan error {
	done := make(chan error, 1)
	var b []byte
	for _, f := range fs {
		b = append(b, enc(f)...)
	}
	go func() {
		for len(b) > 0 {
			k := min(chunk, len(b))
			if _, err := c.c.Write(b[:k]); err != nil {
				done <- err
				return
			}
			b = b[k:]
		}
		done <- nil
	}()
	return done
}

func (c *client) waitSent(done <-chan error) {
	c.t.Helper()
	if err := <-done; err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// Group 9: large messages, whole, fragmented in frames of many sizes and
// written in chunks of many sizes, echoed intact.
func TestGroup9Large(t *testing.T) {
	addr := echoNode(t)
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	for _, op := range []byte{opText, opBinary} {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("9.%d.x op%d %d bytes", op, op, n), func(t *testing.T) {
				c := dial(t, addr)
				p := payload(n)
				done := c.sendAsync(1<<20, frm{fin: true, op: op, payload: p})
				c.expect(op, p)
				c.waitSent(done)
				c.closeNormally()
			})
		}
	}
	// 9.3, 9.4: 4 MiB in fragments of 64 B .. 4 MiB.
	for _, op := range []byte{opText, opBinary} {
		for _, fragSize := range []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20} {
			t.Run(fmt.Sprintf("op%d 4MiB in %d-byte fragments", op, fragSize), func(t *testing.T) {
				c := dial(t, addr)
				p := payload(4 << 20)
				done := c.sendAsync(256<<10, fragments(op, p, fragSize)...)
				c.expect(op, p)
				c.waitSent(done)
				c.closeNormally()
			})
		}
	}
	// 9.5, 9.6: 1 MiB in one frame, written in chunks of 64 B .. 4 KiB.
	for _, op := range []byte{opText, opBinary} {
		for _, chunk := range []int{64, 128, 256, 512, 1 << 10, 2 << 10, 4 << 10} {
			t.Run(fmt.Sprintf("op%d 1MiB in %d-byte writes", op, chunk), func(t *testing.T) {
				c := dial(t, addr)
				p := payload(1 << 20)
				done := c.sendAsync(chunk, frm{fin: true, op: op, payload: p})
				c.expect(op, p)
				c.waitSent(done)
				c.closeNormally()
			})
		}
	}
	// 9.7, 9.8: many round trips of small messages on one connection.
	for _, op := range []byte{opText, opBinary} {
		for _, n := range []int{0, 16, 64, 256, 1 << 10, 4 << 10} {
			t.Run(fmt.Sprintf("op%d 1000 round trips of %d bytes", op, n), func(t *testing.T) {
				c := dial(t, addr)
				p := payload(n)
				for range 1000 {
					c.send(frm{fin: true, op: op, payload: p})
					c.expect(op, p)
				}
				c.closeNormally()
			})
		}
	}
}

// fragments cuts p into a message of size-byte fragments.
func fragments(op byte, p []byte, size int) []frm {
	var fs []frm
	for off := 0; off < len(p); off += size {
		fs = append(fs, frm{op: opCont, payload: p[off:min(off+size, len(p))]})
	}
	fs[0].op = op
	fs[len(fs)-1].fin = true
	return fs
}

// Group 10: the server may answer in any fragmentation; the client
// reassembles, so a message echoed in several frames passes as well.
func TestGroup10AutoFragmentation(t *testing.T) {
	addr := echoNode(t)
	for _, op := range []byte{opText, opBinary} {
		t.Run(fmt.Sprintf("op%d 64KiB", op), func(t *testing.T) {
			c := dial(t, addr)
			p := payload(64 << 10)
			c.send(frm{fin: true, op: op, payload: p})
			c.expect(op, p) // readMessage accepts any split into frames
			c.closeNormally()
		})
		t.Run(fmt.Sprintf("op%d 64KiB in 1-byte fragments", op), func(t *testing.T) {
			c := dial(t, addr)
			p := payload(1 << 10)
			c.send(fragments(op, p, 1)...)
			c.expect(op, p)
			c.closeNormally()
		})
	}
}

// A message over the limit fails with 1009, whole or fragmented.
func TestMessageTooBig(t *testing.T) {
	cfgAddr := smallNode(t)
	t.Run("one frame", func(t *testing.T) {
		c := dial(t, cfgAddr)
		c.send(bin(payload(4097)))
		c.expectClose(1009)
	})
	t.Run("fragments", func(t *testing.T) {
		c := dial(t, cfgAddr)
		c.send(fragments(opBinary, payload(4097), 1000)...)
		c.expectClose(1009)
	})
	t.Run("header only", func(t *testing.T) {
		c := dial(t, cfgAddr)
		whole := enc(bin(payload(1 << 20)))
		c.write(whole[:14]) // the 64-bit length alone is over the limit
		c.expectClose(1009)
	})
	t.Run("at the limit", func(t *testing.T) {
		c := dial(t, cfgAddr)
		c.send(bin(payload(4096)))
		c.expect(opBinary, payload(4096))
		c.closeNormally()
	})
}
