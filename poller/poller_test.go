package poller

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// lineEcho echoes complete '\n'-terminated lines and keeps partial ones,
// which exercises the tail.
type lineEcho struct {
	opened, closed atomic.Int64
	onData         func(c *Conn, data []byte) int
	onOpen         func(c *Conn)
	onClose        func(c *Conn, err error)
	closeErrs      chan error
}

func (h *lineEcho) OnOpen(c *Conn) {
	h.opened.Add(1)
	if h.onOpen != nil {
		h.onOpen(c)
	}
}
func (h *lineEcho) OnData(c *Conn, data []byte) int {
	if h.onData != nil {
		return h.onData(c, data)
	}
	i := bytes.LastIndexByte(data, '\n')
	if i < 0 {
		return 0
	}
	out := append([]byte(nil), data[:i+1]...)
	_ = c.Write(out)
	return i + 1
}
func (h *lineEcho) OnClose(c *Conn, err error) {
	h.closed.Add(1)
	if h.onClose != nil {
		h.onClose(c, err)
	}
	if h.closeErrs != nil {
		h.closeErrs <- err
	}
}

func start(t *testing.T, h Handler, o Options) *Poller {
	t.Helper()
	p, err := Listen("127.0.0.1:0", h, o)
	if err != nil {
		t.Fatal(err)
	}
	p.Serve()
	t.Cleanup(p.Close)
	return p
}

func dial(t *testing.T, p *Poller) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestEchoAcrossPartialReads(t *testing.T) {
	p := start(t, &lineEcho{}, Options{Loops: 2})
	c := dial(t, p)
	msg := []byte("hello, partial world\n")
	for i := range msg { // one byte at a time: every read is a partial line
		if _, err := c.Write(msg[i : i+1]); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
	}
	got := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestManyConnsLargePayload(t *testing.T) {
	h := &lineEcho{}
	p := start(t, h, Options{})
	payload := append(bytes.Repeat([]byte("x"), 300<<10), '\n') // bigger than the read buffer
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		c := dial(t, p)
		wg.Add(1)
		go func() {
			defer wg.Done()
			go c.Write(payload)
			got := make([]byte, len(payload))
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, payload) {
				t.Errorf("echo mismatch: %v", err)
			}
		}()
	}
	wg.Wait()
	if p.Conns() != 20 {
		t.Fatalf("Conns = %d, want 20", p.Conns())
	}
}

func TestSlowConsumerQueueIsBounded(t *testing.T) {
	var conn atomic.Pointer[Conn]
	h := &lineEcho{onData: func(c *Conn, data []byte) int { conn.Store(c); return len(data) }}
	p := start(t, h, Options{Loops: 1, MaxQueuedBytes: 256 << 10})
	c := dial(t, p) // never reads
	c.Write([]byte("x"))
	deadline := time.Now().Add(5 * time.Second)
	for conn.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	sc := conn.Load()
	chunk := make([]byte, 64<<10)
	var err error
	for i := 0; i < 10000 && err == nil; i++ {
		err = sc.Write(chunk)
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("err = %v, want ErrQueueFull", err)
	}
	if q := sc.Queued(); q > 256<<10 {
		t.Fatalf("queued %d bytes, over the bound", q)
	}
}

func TestAbortFromAnotherGoroutineClosesOnce(t *testing.T) {
	var conn atomic.Pointer[Conn]
	h := &lineEcho{closeErrs: make(chan error, 4),
		onData: func(c *Conn, data []byte) int { conn.Store(c); return len(data) }}
	p := start(t, h, Options{Loops: 1})
	c := dial(t, p)
	c.Write([]byte("x"))
	for conn.Load() == nil {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ { // many closers, one close
		wg.Add(1)
		go func() { defer wg.Done(); conn.Load().Abort(); conn.Load().Close() }()
	}
	wg.Wait()
	select {
	case <-h.closeErrs:
	case <-time.After(5 * time.Second):
		t.Fatal("no OnClose after Abort")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("peer still open")
	}
	time.Sleep(50 * time.Millisecond)
	if n := h.closed.Load(); n != 1 {
		t.Fatalf("OnClose called %d times", n)
	}
	if err := conn.Load().Write([]byte("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestCloseWithFlushesFinalFrameThenFIN(t *testing.T) {
	h := &lineEcho{onData: func(c *Conn, data []byte) int {
		c.Write([]byte("bye-data;"))
		c.CloseWith([]byte("final"), false)
		if err := c.Write([]byte("refused")); !errors.Is(err, ErrClosed) {
			panic("write accepted after CloseWith")
		}
		c.Close()
		return len(data)
	}}
	p := start(t, h, Options{Loops: 1})
	c := dial(t, p)
	c.Write([]byte("x"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "bye-data;final" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestDetachHandsOverTheSocket(t *testing.T) {
	fds := make(chan int, 1)
	h := &lineEcho{onData: func(c *Conn, data []byte) int { fds <- c.Detach(); return len(data) }}
	p := start(t, h, Options{Loops: 1})
	c := dial(t, p)
	c.Write([]byte("x"))
	fd := <-fds
	f := os.NewFile(uintptr(fd), "detached")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.Write([]byte("from net"))
	buf := make([]byte, 8)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "from net" {
		t.Fatalf("got %q, %v", buf, err)
	}
	if p.Conns() != 0 {
		t.Fatalf("detached conn still counted")
	}
}

func TestStopAcceptingKeepsOpenConns(t *testing.T) {
	p := start(t, &lineEcho{}, Options{Loops: 2})
	c := dial(t, p)
	p.StopAccepting()
	time.Sleep(50 * time.Millisecond)
	if nc, err := net.DialTimeout("tcp", p.Addr().String(), time.Second); err == nil {
		nc.Close()
		t.Fatal("still accepting")
	}
	c.Write([]byte("still here\n"))
	buf := make([]byte, 11)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatal(err)
	}
}

func TestAdoptHandsASocketToALoop(t *testing.T) {
	h := &lineEcho{}
	p := start(t, h, Options{Loops: 2})
	a, b, err := socketPair()
	if err != nil {
		t.Fatal(err)
	}
	p.Adopt(a)
	peer := os.NewFile(uintptr(b), "peer")
	defer peer.Close()
	peer.Write([]byte("adopted\n"))
	buf := make([]byte, 8)
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(peer, buf); err != nil || string(buf) != "adopted\n" {
		t.Fatalf("got %q, %v", buf, err)
	}
	if h.opened.Load() != 1 || p.Conns() != 1 {
		t.Fatalf("opened %d conns %d", h.opened.Load(), p.Conns())
	}
}

func socketPair() (int, int, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	return fds[0], fds[1], err
}
