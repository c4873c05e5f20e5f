//go:build !race

package poller

import (
	"io"
	"sync/atomic"
	"testing"
	"time"
)

// A write that the kernel takes whole allocates nothing: the steady
// fan-out path is one shared frame and one write(2) per recipient.
func TestWriteDoesNotAllocate(t *testing.T) {
	var conn atomic.Pointer[Conn]
	h := &lineEcho{onData: func(c *Conn, data []byte) int { conn.Store(c); return len(data) }}
	p := start(t, h, Options{Loops: 1})
	c := dial(t, p)
	go io.Copy(io.Discard, c) // a reader that keeps up
	c.Write([]byte("x"))
	for deadline := time.Now().Add(5 * time.Second); conn.Load() == nil; {
		if time.Now().After(deadline) {
			t.Fatal("no connection")
		}
		time.Sleep(time.Millisecond)
	}
	sc := conn.Load()
	frame := make([]byte, 120)
	if n := testing.AllocsPerRun(1000, func() {
		if err := sc.Write(frame); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Write allocates %.1f times per call", n)
	}
}
