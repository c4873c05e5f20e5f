package pusher

import (
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fanout/fanout/internal/syncbuf"
)

// uringFailRecorder counts IOUringFailed calls and the connections they
// report shut.
type uringFailRecorder struct {
	nopObserver
	rings, conns *atomic.Int32
}

func (r uringFailRecorder) IOUringFailed(conns int) {
	r.rings.Add(1)
	r.conns.Add(int32(conns))
}

// A delivery worker's ring that fails at run time, for real: the test
// puts /dev/null on each io_uring descriptor of the process (dup3(2)),
// so that io_uring_enter(2) fails with EOPNOTSUPP, as on a ring whose
// descriptor went wrong under the server (the test runs in a child, so
// that every ring in the process is this server's). The server carries
// on: every subscriber gets every event, in order; each worker whose
// ring failed logs one error line with the errno, tells
// IOUringFailureObserver and stops counting as an io_uring writer. The
// kernel took none of those sends, so no connection is lost.
func TestIOUringFailureFallsBackToWritev(t *testing.T) {
	if !inChild(t, "FANOUT_TEST_BREAK_IO_URING") {
		return
	}
	skipWithoutIOUring(t)
	rec := uringFailRecorder{rings: new(atomic.Int32), conns: new(atomic.Int32)}
	var logs syncbuf.Buffer
	s := newTestServer(t, Options{IOUring: true, Metrics: rec, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, true)
	rings := int32(3 * runtime.GOMAXPROCS(0)) // delivery workers and fan-out helpers
	waitFor(t, "every delivery worker and helper holding a ring", func() bool { return s.ioUringWorkers.Load() == rings })

	url := "ws://" + s.Addr().String() + "/app/app-key?protocol=7"
	const events = 400
	check := readTicks(t, url, 3, events)
	for i := range events / 2 {
		offerTick(t, s, i, "x")
	}
	if n := breakIOUrings(t); n != int(rings) {
		t.Fatalf("broke %d io_uring descriptors, want the server's %d", n, rings)
	}
	for i := events / 2; i < events; i++ {
		offerTick(t, s, i, "x")
	}
	check()
	// A worker reports its failed ring after its Flush wrote the rest, so
	// the readers may finish first: wait until every failure is reported
	// in full (the worker count drops first, the observer hears last).
	var failed int32
	waitFor(t, "each failed ring logged once, counted, and no longer an io_uring writer", func() bool {
		failed = rec.rings.Load()
		return failed > 0 && s.ioUringWorkers.Load() == rings-failed &&
			strings.Count(logs.String(), `level=ERROR msg="io_uring failed`) == int(failed)
	})
	if n := rec.conns.Load(); n != 0 {
		t.Errorf("%d connections reported shut, want 0: the kernel took none of the sends", n)
	}
	text := logs.String()
	errno := "errno=" + unix.ErrnoName(unix.EOPNOTSUPP) // ENOTSUP: the same number on Linux
	if n := strings.Count(text, errno); n != int(failed) {
		t.Errorf("%d log lines with %s for %d failed rings, want one each:\n%s", n, errno, failed, text)
	}
}

// breakIOUrings puts /dev/null on each io_uring descriptor of the
// process (proc(5): they link to "anon_inode:[io_uring]") and returns
// how many there were.
func breakIOUrings(t *testing.T) int {
	t.Helper()
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	names, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range names {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l != "anon_inode:[io_uring]" {
			continue
		}
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Dup3(int(null.Fd()), fd, unix.O_CLOEXEC); err != nil {
			t.Fatalf("dup3 over io_uring descriptor %d: %v", fd, err)
		}
		n++
	}
	return n
}
