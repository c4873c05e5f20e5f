//go:build !race

package tlsconn_test

import (
	"io"
	"testing"
)

// TestWriteDoesNotAllocateTLS: a frame written to a TLS 1.3 connection
// that the kernel takes whole allocates nothing: the poller lends the
// record layer a buffer to seal into, and write(2) copies it.
func TestWriteDoesNotAllocateTLS(t *testing.T) {
	c, _, pc := dialSink(t)
	go io.Copy(io.Discard, c) // a reader that keeps up
	frame := make([]byte, 120)
	batch := [][]byte{frame, frame, frame}
	if n := testing.AllocsPerRun(1000, func() {
		if err := pc.Write(frame); err != nil {
			t.Fatal(err)
		}
		if err := pc.WriteBatch(batch, -1); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("a write over TLS allocates %.1f times", n)
	}
}
