package pusher

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/internal/nouring"
	"github.com/fanout/fanout/poller"
)

// With Options.IOUring the delivery workers write through io_uring: every
// reading subscriber gets every event of a channel in order, and one that
// stops reading fills its app's queue bound and is closed with 4100, as
// on the writev(2) path.
func TestIOUringFanOutInOrderAndSlowConsumerClosed(t *testing.T) {
	skipWithoutIOUring(t)
	rec := closeRecorder{codes: make(chan int, 8)}
	s := startRealServer(t, Options{IOUring: true, Metrics: rec, CloseTimeout: 500 * time.Millisecond,
		Apps: []*App{{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthOff, MaxQueuedBytes: 64 << 10}}})
	for deadline := time.Now().Add(10 * time.Second); s.ioUringWorkers.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Options.IOUring is set but no delivery worker set up a ring")
		}
	}
	url := "ws://" + s.Addr().String() + "/app/app-key?protocol=7"
	dialSmallBuffer(t, url).subscribe("feed")
	const events = 2500 // 2,500 × 4 KiB: past the socket buffers and 64 KiB
	check := readTicks(t, url, 3, events)
	pad := strings.Repeat("x", slowDataSize)
	for i := range events {
		offerTick(t, s, i, pad)
	}
	check()
	rec.expect(t, 4100, 20*time.Second, "slow consumer over its app's 64 KiB queue limit")
}

// skipWithoutIOUring skips the test where the kernel lacks io_uring or
// forbids it.
func skipWithoutIOUring(t *testing.T) {
	t.Helper()
	if b, err := poller.NewSendBatch(8); errors.Is(err, poller.ErrNoIOUring) {
		t.Skipf("no io_uring here: %v", err)
	} else if err == nil {
		b.Close()
	}
}

// readTicks subscribes readers clients to "feed" and has each read tick
// events 0 to events-1; check waits for them and reports a subscriber
// that missed one or got one out of order.
func readTicks(t *testing.T, url string, readers, events int) (check func()) {
	t.Helper()
	got := make([]int, readers)
	var wg sync.WaitGroup
	for i := range readers {
		c := dialWS(t, url, nil)
		c.subscribe("feed")
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = readSequence(c, events)
		}()
	}
	return func() {
		t.Helper()
		wg.Wait()
		for i, n := range got {
			if n != events {
				t.Errorf("subscriber %d got events 0..%d in order, want all %d", i, n-1, events)
			}
		}
	}
}

// offerTick offers tick event i to "feed": its data is i, a space, pad.
func offerTick(t *testing.T, s *Server, i int, pad string) {
	t.Helper()
	p := broker.Publication{App: "app-id", Channel: "feed", Event: "tick", Data: `"` + strconv.Itoa(i) + " " + pad + `"`}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Offer(ctx, p); err != nil {
		t.Fatalf("offer %d: %v", i, err)
	}
}

// readSequence reads "tick" events whose data opens with 0, 1, 2, …
// until want of them or one out of order, and returns how many ran in
// order.
func readSequence(c *wsClient, want int) int {
	stamp := []byte(`"data":"`)
	_ = c.conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	n := 0
	for n < want {
		f, err := ws.ReadFrame(c.conn)
		if err != nil || f.Header.OpCode == ws.OpClose {
			return n
		}
		i := bytes.Index(f.Payload, stamp)
		if i < 0 || !bytes.Contains(f.Payload[:i], []byte(`"tick"`)) {
			continue
		}
		d := f.Payload[i+len(stamp):]
		j := bytes.IndexByte(d, ' ')
		if j < 0 || string(d[:j]) != strconv.Itoa(n) {
			return n
		}
		n++
	}
	return n
}

// uringRecorder counts IOUringUnavailable.
type uringRecorder struct {
	nopObserver
	n *atomic.Int32
}

func (r uringRecorder) IOUringUnavailable() { r.n.Add(1) }

// inChild runs t again in a child process with env set, where it does
// what would disturb other tests (a seccomp filter on the process, its
// io_uring descriptors broken), and reports whether this is that child.
// In the parent it passes on the child's skip or failure.
func inChild(t *testing.T, env string) bool {
	t.Helper()
	if os.Getenv(env) != "" {
		return true
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if bytes.Contains(out, []byte("--- SKIP")) {
		t.Skipf("child skipped:\n%s", out)
	}
	if err != nil || !bytes.Contains(out, []byte("--- PASS")) {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return false
}

// Where the kernel refuses io_uring (here a seccomp filter on the whole
// process, so the test runs in a child), Options.IOUring falls back to
// writev(2): the workers say so through IOUringObserver, none writes
// through a ring, and events arrive in order.
func TestIOUringRefusedFallsBackToWritev(t *testing.T) {
	if !inChild(t, "FANOUT_TEST_DENY_IO_URING") {
		return
	}
	if err := nouring.Process(); err != nil {
		t.Skipf("seccomp: %v", err)
	}
	if _, err := poller.NewSendBatch(8); !errors.Is(err, poller.ErrNoIOUring) {
		t.Fatalf("NewSendBatch under the filter = %v, want ErrNoIOUring", err)
	}
	rec := uringRecorder{n: new(atomic.Int32)}
	s := startRealServer(t, Options{IOUring: true, Metrics: rec})
	for deadline := time.Now().Add(10 * time.Second); rec.n.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no worker reported io_uring unavailable")
		}
	}
	c := dialWS(t, "ws://"+s.Addr().String()+"/app/app-key?protocol=7", nil)
	c.subscribe("feed")
	const events = 200
	for i := range events {
		p := broker.Publication{App: "app-id", Channel: "feed", Event: "tick", Data: `"` + strconv.Itoa(i) + ` x"`}
		if err := s.Offer(context.Background(), p); err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
	}
	if n := readSequence(c, events); n != events {
		t.Fatalf("got events 0..%d in order, want all %d", n-1, events)
	}
	if n := s.ioUringWorkers.Load(); n != 0 {
		t.Fatalf("%d workers write through io_uring under a filter that refuses it", n)
	}
}
