package tlsconn_test

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/tlsconn"
)

// sink is a poller handler that terminates TLS and hands the test each
// connection once its first plaintext arrived, for the test to write to
// as fanout's writers do.
type sink struct {
	srv   *tlsconn.Server
	ready chan *poller.Conn
	once  sync.Map
}

func (h *sink) OnOpen(pc *poller.Conn) {
	pc.SetCodec(h.srv.NewSession(pc, time.Now().Add(10*time.Second)))
}

func (h *sink) OnData(pc *poller.Conn, data []byte) int {
	if _, seen := h.once.LoadOrStore(pc, true); !seen {
		h.ready <- pc
	}
	return len(data)
}

func (h *sink) OnClose(pc *poller.Conn, _ error) { pc.Codec().(*tlsconn.Session).Close() }

// tapConn keeps a copy of the bytes the client reads from the wire.
type tapConn struct {
	net.Conn
	mu   sync.Mutex
	read []byte
}

func (c *tapConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.mu.Lock()
	c.read = append(c.read, b[:n]...)
	c.mu.Unlock()
	return n, err
}

// wireRecords returns the length field of each record the client read.
func (c *tapConn) wireRecords() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var lens []int
	for w := c.read; len(w) >= 5; {
		n := int(binary.BigEndian.Uint16(w[3:5]))
		lens = append(lens, n)
		w = w[min(len(w), 5+n):]
	}
	return lens
}

// dialSink connects a crypto/tls client (TLS 1.3) to a sink and returns
// it with the server's side of the connection.
func dialSink(t testing.TB) (*tls.Conn, *tapConn, *poller.Conn) {
	t.Helper()
	pki := fantest.NewPKI(t)
	certs, err := tlsconn.LoadCerts(pki.CertFile, pki.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	h := &sink{ready: make(chan *poller.Conn, 1)}
	if h.srv, err = tlsconn.NewServer(tlsconn.Options{Certs: certs}); err != nil {
		t.Fatal(err)
	}
	raw, err := net.Dial("tcp", serve(t, h, h.srv))
	if err != nil {
		t.Fatal(err)
	}
	tap := &tapConn{Conn: raw}
	cfg := pki.ClientConfig()
	cfg.MinVersion = tls.VersionTLS13
	c := tls.Client(tap, cfg)
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	select {
	case pc := <-h.ready:
		return c, tap, pc
	case <-time.After(20 * time.Second):
		t.Fatal("the server never read the client's first data")
		return nil, nil, nil
	}
}

// TestWriteBatchOneRecord: frames written to a TLS 1.3 connection
// together (a subscriber's backlog) leave in one record, which crypto/tls
// decrypts into the frames intact and in order.
func TestWriteBatchOneRecord(t *testing.T) {
	c, tap, pc := dialSink(t)
	const frames, size = 8, 100
	var bufs [][]byte
	var want []byte
	for i := range frames {
		f := bytes.Repeat([]byte{'a' + byte(i)}, size)
		copy(f, fmt.Sprintf("frame %d:", i))
		bufs = append(bufs, f)
		want = append(want, f...)
	}
	if err := pc.WriteBatch(bufs, -1); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %q, %v", got, err)
	}
	// A record's length counts the inner content type and the 16-byte
	// tag (RFC 8446 section 5.2).
	var one, single bool
	for _, n := range tap.wireRecords() {
		one = one || n == frames*size+1+16
		single = single || n == size+1+16
	}
	if !one || single {
		t.Fatalf("records on the wire %v: want one of %d bytes, none of one frame", tap.wireRecords(), frames*size+17)
	}
}

// TestQueueFullSealsNothing: a write refused because the send queue is
// full uses no sequence number, so the records after it (the final
// frame of a slow consumer's close) still decrypt.
func TestQueueFullSealsNothing(t *testing.T) {
	c, _, pc := dialSink(t)
	frame := bytes.Repeat([]byte{'x'}, 16<<10)
	const limit = 256 << 10
	accepted := 0
	for range 4000 { // the client does not read: the socket fills, then the queue
		err := pc.WriteLimit(frame, limit)
		if err == poller.ErrQueueFull {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		accepted++
	}
	if accepted == 4000 {
		t.Fatal("the queue never filled")
	}
	pc.CloseWith([]byte("END"), false)
	got := make([]byte, accepted*len(frame)+3)
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("after %d frames and a refused one: %v", accepted, err)
	}
	if !bytes.HasSuffix(got, []byte("END")) {
		t.Fatalf("the final frame is missing: ends with %q", got[len(got)-8:])
	}
}

// plainSink is sink without TLS: the reference a TLS write is compared
// with.
type plainSink struct{ ready chan *poller.Conn }

func (h *plainSink) OnOpen(*poller.Conn) {}
func (h *plainSink) OnData(pc *poller.Conn, data []byte) int {
	select {
	case h.ready <- pc:
	default:
	}
	return len(data)
}
func (h *plainSink) OnClose(*poller.Conn, error) {}

// dialPlain connects a TCP client to a plainSink and returns it with the
// server's side of the connection.
func dialPlain(t testing.TB) (net.Conn, *poller.Conn) {
	h := &plainSink{ready: make(chan *poller.Conn, 1)}
	p, err := poller.Listen("127.0.0.1:0", h, poller.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Serve()
	t.Cleanup(p.Close)
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	return c, <-h.ready
}

// BenchmarkWriteTLS is the whole write path of a delivery over TLS 1.3,
// with a client that keeps up: the seal into the poller's lent buffer and
// write(2), for one 100-byte frame and for a backlog of eight in one
// WriteBatch; "plain" is the same over TCP alone, for the ratio. Bytes
// allocated are the in-process client's and the queue's (when the
// benchmark outruns the client, what the kernel does not take is
// copied); TestWriteDoesNotAllocateTLS holds the path itself to none.
func BenchmarkWriteTLS(b *testing.B) {
	for _, frames := range []int{1, 8} {
		for _, secure := range []bool{false, true} {
			name := fmt.Sprintf("plain/frames=%d", frames)
			if secure {
				name = fmt.Sprintf("tls/frames=%d", frames)
			}
			b.Run(name, func(b *testing.B) {
				var c net.Conn
				var pc *poller.Conn
				if secure {
					c, _, pc = dialSink(b)
				} else {
					c, pc = dialPlain(b)
				}
				_ = c.SetDeadline(time.Time{})
				go io.Copy(io.Discard, c)
				bufs := make([][]byte, frames)
				for i := range bufs {
					bufs[i] = make([]byte, 100)
				}
				b.SetBytes(int64(100 * frames))
				b.ReportAllocs()
				for b.Loop() {
					if err := pc.WriteBatch(bufs, -1); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
