package tlsconn_test

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/tlsconn"
)

// echo is a poller handler that terminates TLS with tlsconn and writes
// back what it reads, through the same Write every fanout writer uses.
type echo struct {
	srv *tlsconn.Server
	mu  sync.Mutex
	got []tlsconn.RecordLayer
}

func (e *echo) OnOpen(pc *poller.Conn) {
	pc.SetCodec(e.srv.NewSession(pc, time.Now().Add(10*time.Second)))
}

func (e *echo) OnData(pc *poller.Conn, data []byte) int {
	_ = pc.Write(bytes.Clone(data))
	return len(data)
}

func (e *echo) OnClose(pc *poller.Conn, _ error) {
	pc.Codec().(*tlsconn.Session).Close()
}

func (e *echo) layers() []tlsconn.RecordLayer {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]tlsconn.RecordLayer(nil), e.got...)
}

// startEcho serves TLS on a poller with the PKI's certificate; o's
// Certs and Established are set here.
func startEcho(t *testing.T, pki *fantest.PKI, o tlsconn.Options) (*echo, string) {
	t.Helper()
	certs, err := tlsconn.LoadCerts(pki.CertFile, pki.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	e := &echo{}
	o.Certs = certs
	o.Established = func(_ uint16, l tlsconn.RecordLayer) {
		e.mu.Lock()
		e.got = append(e.got, l)
		e.mu.Unlock()
	}
	if e.srv, err = tlsconn.NewServer(o); err != nil {
		t.Fatal(err)
	}
	return e, serve(t, e, e.srv)
}

// serve runs h on a poller of one loop until the test ends, then closes
// srv too, and returns the address.
func serve(t testing.TB, h poller.Handler, srv *tlsconn.Server) string {
	t.Helper()
	p, err := poller.Listen("127.0.0.1:0", h, poller.Options{Loops: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Serve()
	t.Cleanup(func() { p.Close(); srv.Close() })
	return p.Addr().String()
}

// roundTrip writes p on c and reads it back.
func roundTrip(t *testing.T, c net.Conn, p []byte) {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	errc := make(chan error, 1)
	go func() { _, err := c.Write(p); errc <- err }()
	got := make([]byte, len(p))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read back: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, p) {
		t.Fatal("echo differs")
	}
}

// heldConn holds what the client writes after its first flight until
// release, so that its Finished and the application data behind it
// reach the server in one segment, as browsers send them.
type heldConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
	held   []byte
	hold   bool
}

func (h *heldConn) Write(b []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.writes++
	if h.hold && h.writes > 1 {
		h.held = append(h.held, b...)
		return len(b), nil
	}
	return h.Conn.Write(b)
}

func (h *heldConn) release() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold = false
	_, err := h.Conn.Write(h.held)
	return err
}

// dialHeld connects a client of cfg whose Finished and first application
// data reach the server in one segment, checks their echo, then echoes a
// message of several records both ways.
func dialHeld(t *testing.T, addr string, cfg *tls.Config) *tls.Conn {
	t.Helper()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	hc := &heldConn{Conn: raw, hold: true}
	c := tls.Client(hc, cfg)
	t.Cleanup(func() { c.Close() })
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	first := []byte("first data, in the Finished's segment")
	if _, err := c.Write(first); err != nil {
		t.Fatal(err)
	}
	if err := hc.release(); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(first))
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("echo of the data behind the Finished: %q, %v", got, err)
	}
	big := make([]byte, 100<<10)
	rand.Read(big)
	roundTrip(t, c, big)
	return c
}

// TestSessionHandsOverAfterFinished: a TLS 1.3 client whose Finished and
// first application data arrive in one segment is carried on by the
// package's record layer from the right record: crypto/tls is given the
// handshake one record at a time, so the data behind the Finished stays
// for the record layer, at sequence number 0. The server's first record
// follows the NewSessionTicket crypto/tls sent (write sequence 1), and a
// message of several records goes both ways.
func TestSessionHandsOverAfterFinished(t *testing.T) {
	pki := fantest.NewPKI(t)
	e, addr := startEcho(t, pki, tlsconn.Options{})
	cfg := pki.ClientConfig()
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	dialHeld(t, addr, cfg)
	if l := e.layers(); len(l) != 1 || l[0] != tlsconn.LayerFanout {
		t.Fatalf("record layers %v, want [fanout]", l)
	}

	// Resumed with the ticket: crypto/tls sends a new one, counted again.
	c2, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	roundTrip(t, c2, []byte("resumed"))
	if !c2.ConnectionState().DidResume {
		t.Fatal("the second connection did not resume")
	}
}

// TestSessionEveryVersion: TLS 1.3 with and without a client certificate
// asked for (crypto/tls then sends its ticket after reading the client's
// certificate), and TLS 1.2, which stays on crypto/tls.
func TestSessionEveryVersion(t *testing.T) {
	pki := fantest.NewPKI(t)
	e, addr := startEcho(t, pki, tlsconn.Options{ClientCAs: pki.Roots})
	certFile, keyFile := pki.Issue(t, 7, filepath.Join(t.TempDir(), "client"))
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		version uint16
		cert    bool
		want    tlsconn.RecordLayer
	}{
		{"1.3", tls.VersionTLS13, false, tlsconn.LayerFanout},
		{"1.3 with a client certificate", tls.VersionTLS13, true, tlsconn.LayerFanout},
		{"1.2", tls.VersionTLS12, false, tlsconn.LayerCryptoTLS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pki.ClientConfig()
			cfg.MinVersion, cfg.MaxVersion = tc.version, tc.version
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1) // so that tickets are sent
			if tc.cert {
				cfg.Certificates = []tls.Certificate{pair}
			}
			before := len(e.layers())
			c, err := tls.Dial("tcp", addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			roundTrip(t, c, bytes.Repeat([]byte("v"), 40000))
			if l := e.layers(); len(l) != before+1 || l[before] != tc.want {
				t.Fatalf("record layers %v, want %s last", l, tc.want)
			}
		})
	}
}
