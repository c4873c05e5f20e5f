package tlsconn_test

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
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

// TestKernelTLSIdleMemory measures what kernel TLS adds per idle
// connection (FANOUT_KTLS_MEM=N connections, on a kernel with TLS: make
// ktls-vm KTLS_VM_MEM=N): N TLS 1.3 clients connect, echo once and stay
// idle, with Options.KernelTLS off (twice: the first run warms the Go
// heap and the page cache and is not counted), then on; the difference of
// /proc/meminfo's MemAvailable and Slab drops between the two runs,
// divided by N, is the kernel's per-connection state (both runs hold the
// same clients, sockets and user-space record layers).
func TestKernelTLSIdleMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("FANOUT_KTLS_MEM"))
	if n <= 0 {
		t.Skip("FANOUT_KTLS_MEM not set")
	}
	tlsconn.NeedKernelTLS(t)
	pki := fantest.NewPKI(t)
	cost := map[bool][2]int64{}
	for _, kernel := range []bool{false, false, true} {
		var ev kernelEvents
		_, addr := startEcho(t, pki, tlsconn.Options{KernelTLS: kernel, KernelTLSEvent: ev.add})
		runtime.GC()
		before := meminfo(t)
		cfg := pki.ClientConfig()
		cfg.MinVersion = tls.VersionTLS13
		conns := make([]*tls.Conn, 0, n)
		for range n {
			c, err := tls.Dial("tcp", addr, cfg)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, c, []byte("idle"))
			conns = append(conns, c)
		}
		runtime.GC()
		after := meminfo(t)
		cost[kernel] = [2]int64{before["MemAvailable"] - after["MemAvailable"], after["Slab"] - before["Slab"]}
		if on := len(ev.list()); kernel && on != n {
			t.Fatalf("%d of %d connections handed to the kernel", on, n)
		}
		for _, c := range conns {
			c.Close()
		}
	}
	avail := float64(cost[true][0]-cost[false][0]) * 1024 / float64(n)
	slab := float64(cost[true][1]-cost[false][1]) * 1024 / float64(n)
	t.Logf("%d idle connections: MemAvailable drop %d kB (user space) vs %d kB (kernel TLS), Slab %d vs %d kB: kernel TLS adds %.0f B per connection (Slab %.0f B)",
		n, cost[false][0], cost[true][0], cost[false][1], cost[true][1], avail, slab)
}

// meminfo reads /proc/meminfo in kB.
func meminfo(t *testing.T) map[string]int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			m[strings.TrimSuffix(f[0], ":")] = v
		}
	}
	return m
}
