package poller

import (
	"bytes"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// upperReader is a codec that reads the socket itself and upper-cases
// what it reads, so bytes read past it show; it counts its reads.
type upperReader struct {
	bracketCodec
	reads atomic.Int64
}

func (u *upperReader) ReadSocket(fd int, b []byte) (int, error) {
	u.reads.Add(1)
	n, err := unix.Read(fd, b)
	if n > 0 {
		copy(b, bytes.ToUpper(b[:n]))
	}
	return n, err
}

// TestSocketReader: the loop reads a connection whose codec is a
// SocketReader through ReadSocket only, hands what it returns to Open
// and OnData, and takes its 0 as end of file (OnClose).
func TestSocketReader(t *testing.T) {
	u := &upperReader{}
	h := &lineEcho{onOpen: func(c *Conn) { c.SetCodec(u) }, closeErrs: make(chan error, 1)}
	p := start(t, h, Options{Loops: 1})
	c := dial(t, p)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len("[HELLO\n]"))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != "[HELLO\n]" {
		t.Fatalf("echo %q %v: not read through ReadSocket", got, err)
	}
	c.Close()
	select {
	case <-h.closeErrs:
	case <-time.After(10 * time.Second):
		t.Fatal("end of file from ReadSocket did not close the connection")
	}
	if u.reads.Load() < 2 {
		t.Fatalf("ReadSocket called %d times", u.reads.Load())
	}
}
