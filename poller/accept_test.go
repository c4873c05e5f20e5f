package poller

import (
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// waitFor polls cond until it holds or the bound passes.
func waitFor(t *testing.T, what string, bound time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(bound); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, bound)
		}
	}
}

// At the open-file limit a loop stops polling its listener (one reported
// error per pause, not a busy loop), takes the next connection when one of
// its own closes, and takes the rest once descriptors are back.
func TestAcceptPausesAtDescriptorLimit(t *testing.T) {
	var mu sync.Mutex
	var errs []error
	var conns []*Conn
	h := &lineEcho{}
	h.onData = func(c *Conn, data []byte) int { return len(data) }
	o := Options{Loops: 1, AcceptBackoff: 50 * time.Millisecond, OnAcceptError: func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}}
	p, err := Listen("127.0.0.1:0", &openRecorder{lineEcho: h, mu: &mu, conns: &conns}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	const clients = 20
	for range clients { // the handshakes complete in the backlog
		c, err := net.Dial("tcp", p.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
	}

	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	low := lim
	low.Cur = uint64(openFDs(t) + 3) // a few free numbers below it, holes included
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			_ = unix.Setrlimit(unix.RLIMIT_NOFILE, &lim)
		}
	}
	defer restore()
	p.Serve()

	count := func() (int, int) { mu.Lock(); defer mu.Unlock(); return len(errs), len(conns) }
	waitFor(t, "an EMFILE pause", 5*time.Second, func() bool { n, _ := count(); return n > 0 })
	mu.Lock()
	first := errs[0]
	mu.Unlock()
	if first != unix.EMFILE {
		t.Fatalf("accept error %v, want EMFILE", first)
	}
	_, accepted := count()
	if accepted >= clients {
		t.Fatalf("all %d accepted under the lowered limit", accepted)
	}
	// Paused: over 300 ms with a 50 ms back-off, a handful of retries.
	before, _ := count()
	time.Sleep(300 * time.Millisecond)
	after, _ := count()
	if after-before > 10 {
		t.Fatalf("%d accept errors in 300 ms: the loop retries without pausing", after-before)
	}
	// A connection of the loop closes: its descriptor goes to the backlog.
	mu.Lock()
	conns[0].Abort()
	mu.Unlock()
	waitFor(t, "an accept after a close", 5*time.Second, func() bool { _, n := count(); return n > accepted })

	restore()
	waitFor(t, "every client accepted", 5*time.Second, func() bool { _, n := count(); return n == clients })
}

// openRecorder keeps every opened connection.
type openRecorder struct {
	*lineEcho
	mu    *sync.Mutex
	conns *[]*Conn
}

func (r *openRecorder) OnOpen(c *Conn) {
	r.mu.Lock()
	*r.conns = append(*r.conns, c)
	r.mu.Unlock()
}

// openFDs is how many descriptors this process holds.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents) - 1 // without the directory's own
}
