package tlsconn_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/tlsconn"
)

// kernelEvents collects Options.KernelTLSEvent.
type kernelEvents struct {
	mu  sync.Mutex
	got []tlsconn.KernelEvent
}

func (k *kernelEvents) add(e tlsconn.KernelEvent) {
	k.mu.Lock()
	k.got = append(k.got, e)
	k.mu.Unlock()
}

func (k *kernelEvents) list() []tlsconn.KernelEvent {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.got)
}

// kernelClient runs one TLS 1.3 client against the echo server
// (dialHeld): its Finished and first data in one segment (so the record
// layer opens a record before the hand-over), session tickets on (so
// crypto/tls wrote records under the application key before it), then a
// message of several records both ways.
func kernelClient(t *testing.T, pki *fantest.PKI, addr string) *tls.Conn {
	t.Helper()
	cfg := pki.ClientConfig()
	cfg.MinVersion = tls.VersionTLS13
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	return dialHeld(t, addr, cfg)
}

// TestKernelTLSFallback: with Options.KernelTLS on a kernel without the
// tls module (this machine; skipped where the kernel has it), every
// TLS 1.3 session is offered to the kernel, setsockopt(TCP_ULP) fails,
// and the session goes on in user space with nothing lost: the data
// behind the Finished, a message of several records both ways, and
// close_notify answered.
func TestKernelTLSFallback(t *testing.T) {
	if ok, _ := tlsconn.KernelTLS(); ok {
		t.Skip("the kernel has TLS: setsockopt does not fail here")
	}
	pki := fantest.NewPKI(t)
	var ev kernelEvents
	e, addr := startEcho(t, pki, tlsconn.Options{KernelTLS: true, KernelTLSEvent: ev.add})
	tlsconn.ForceKernelTLS(e.srv)
	c := kernelClient(t, pki, addr)
	if got := ev.list(); !slices.Equal(got, []tlsconn.KernelEvent{tlsconn.KernelFallback}) {
		t.Fatalf("kernel events %v, want [fallback]", got)
	}
	roundTrip(t, c, []byte("still in user space"))
	closeNotify(t, c)
}

// closeNotify half-closes c with close_notify and expects the server's
// close_notify (a clean io.EOF) back.
func closeNotify(t *testing.T, c *tls.Conn) {
	t.Helper()
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("after close_notify: %d, %v; want the server's close_notify", n, err)
	}
}

// TestKernelTLSSession runs the whole path through a kernel that has TLS
// (make ktls-vm): a crypto/tls client, the poller, the Session handing
// the connection to the kernel after the record layer opened the data
// behind the Finished and crypto/tls wrote its tickets; the echo goes
// both ways through the kernel, close_notify is answered through it, and
// /proc/net/tls_stat counts the socket in both directions.
func TestKernelTLSSession(t *testing.T) {
	tlsconn.NeedKernelTLS(t)
	before := tlsconn.TLSStat()
	pki := fantest.NewPKI(t)
	var ev kernelEvents
	_, addr := startEcho(t, pki, tlsconn.Options{KernelTLS: true, KernelTLSEvent: ev.add})
	c := kernelClient(t, pki, addr)
	if got := ev.list(); !slices.Equal(got, []tlsconn.KernelEvent{tlsconn.KernelOn}) {
		t.Fatalf("kernel events %v, want [on]", got)
	}
	t.Logf("suite %s", tls.CipherSuiteName(c.ConnectionState().CipherSuite))
	roundTrip(t, c, bytes.Repeat([]byte("k"), 70000))
	after := tlsconn.TLSStat()
	for _, name := range []string{"TlsCurrTxSw", "TlsCurrRxSw", "TlsTxSw", "TlsRxSw"} {
		if after[name] <= before[name] {
			t.Fatalf("%s %d -> %d: the kernel does not carry the connection", name, before[name], after[name])
		}
	}
	closeNotify(t, c)
	t.Logf("tls_stat: %v", after)
}
