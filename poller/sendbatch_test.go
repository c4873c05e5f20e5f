package poller

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fanout/fanout/internal/nouring"
)

func newSendBatch(t *testing.T) *SendBatch {
	t.Helper()
	return newSendBatchOf(t, 64)
}

// newSendBatchOf is newSendBatch with a ring of about size SQEs.
func newSendBatchOf(t *testing.T, size int) *SendBatch {
	t.Helper()
	b, err := NewSendBatch(size)
	if errors.Is(err, ErrNoIOUring) {
		t.Skipf("no io_uring here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// tagged returns k buffers of size bytes, each opening with <tag:n>.
func tagged(tag string, n, k, size int) [][]byte {
	out := make([][]byte, k)
	for i := range out {
		s := fmt.Sprintf("<%s:%d>", tag, n+i)
		out[i] = []byte(s + strings.Repeat(".", size-len(s)))
	}
	return out
}

// checkStream splits got into frames of sizes[tag] bytes and checks that
// each tag's numbers run 0, 1, 2, … up to want[tag], with nothing torn.
func checkStream(t *testing.T, got []byte, sizes, want map[string]int) {
	t.Helper()
	next := map[string]int{}
	for off := 0; off < len(got); {
		end := bytes.IndexByte(got[off:], '>')
		colon := bytes.IndexByte(got[off:], ':')
		if got[off] != '<' || end < 0 || colon < 0 || colon > end {
			t.Fatalf("at byte %d: no frame header in %q", off, got[off:min(off+20, len(got))])
		}
		tag := string(got[off+1 : off+colon])
		n, err := strconv.Atoi(string(got[off+colon+1 : off+end]))
		if err != nil || n != next[tag] {
			t.Fatalf("at byte %d: frame %s:%s, want %s:%d", off, tag, got[off+colon+1:off+end], tag, next[tag])
		}
		next[tag]++
		off += sizes[tag]
	}
	for tag, w := range want {
		if next[tag] != w {
			t.Fatalf("%d frames of %s arrived, want %d", next[tag], tag, w)
		}
	}
}

// Eight connections whose clients do not read: batches of one and of
// three frames through the ring fill their socket buffers, so sends go
// short or find the socket full (-EAGAIN) and the rest is queued; on
// each connection another goroutine writes at the same time. Every byte
// must arrive once, each writer's frames in order, none torn.
func TestSendBatchKeepsOrderThroughShortSends(t *testing.T) {
	b := newSendBatch(t)
	var conns []*Conn
	var reads []func() []byte
	for range 8 {
		c, _, readAll := acceptOne(t, Options{Loops: 1})
		conns = append(conns, c)
		reads = append(reads, readAll)
	}
	const rounds, other = 3000, 3000
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Add(1)
		go func() { // the concurrent writer of c
			defer wg.Done()
			for i := range other {
				if err := c.WriteLimit(tagged("B", i, 1, 700)[0], -1); err != nil {
					t.Errorf("write %d: %v", i, err)
					return
				}
			}
		}()
	}
	sent := 0
	queuedAfterFlush := false
	for r := 0; r < rounds; r++ {
		k := 1 + 2*(r%2)
		for _, c := range conns {
			b.Add(c, tagged("A", sent, k, 1024), -1)
		}
		sent += k
		b.Flush(func(i int, err error) {
			if err != nil {
				t.Fatalf("round %d, conn %d: %v", r, i, err)
			}
		})
		queuedAfterFlush = queuedAfterFlush || conns[1].Queued() > 0
	}
	wg.Wait()
	if b.ringed == 0 || b.short == 0 || !queuedAfterFlush {
		t.Fatalf("the test did not reach short sends: %d through the ring, %d short, queue seen %v", b.ringed, b.short, queuedAfterFlush)
	}
	sizes := map[string]int{"A": 1024, "B": 700}
	for _, read := range reads {
		checkStream(t, read(), sizes, map[string]int{"A": sent, "B": other})
	}
}

// A connection closed before Flush gets ErrClosed and nothing is sent;
// the others in the batch are written.
func TestSendBatchReportsClosedConnections(t *testing.T) {
	b := newSendBatch(t)
	c1, _, read1 := acceptOne(t, Options{Loops: 1})
	c2, _, _ := acceptOne(t, Options{Loops: 1})
	b.Add(c1, tagged("A", 0, 1, 100), -1)
	b.Add(c2, tagged("A", 0, 1, 100), -1)
	c2.Abort()
	errs := map[int]error{}
	b.Flush(func(i int, err error) { errs[i] = err })
	if errs[0] != nil || errs[1] != ErrClosed {
		t.Fatalf("errors %v, want [nil, ErrClosed]", errs)
	}
	checkStream(t, read1(), map[string]int{"A": 100}, map[string]int{"A": 1})
}

// Where the kernel refuses io_uring, NewSendBatch says so with
// ErrNoIOUring and the errno, so the caller writes without it.
func TestNewSendBatchWithoutIOUring(t *testing.T) {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := nouring.Thread(); err != nil {
			errc <- fmt.Errorf("seccomp: %w", err)
			return
		}
		b, err := NewSendBatch(64)
		if err == nil {
			b.Close()
		}
		errc <- err
	}()
	err := <-errc
	if !errors.Is(err, ErrNoIOUring) || !errors.Is(err, unix.ENOSYS) {
		t.Fatalf("NewSendBatch = %v, want ErrNoIOUring wrapping ENOSYS", err)
	}
	// Other threads are not filtered.
	if b, err := NewSendBatch(64); err == nil {
		b.Close()
	}
}

// Add and Flush allocate nothing once the batch's slices have grown.
func TestSendBatchDoesNotAllocate(t *testing.T) {
	b := newSendBatch(t)
	c1, _, _ := acceptOne(t, Options{Loops: 1})
	c2, _, _ := acceptOne(t, Options{Loops: 1})
	one, three := tagged("A", 0, 1, 64), tagged("A", 0, 3, 64)
	var failed error
	done := func(_ int, err error) {
		if err != nil {
			failed = err
		}
	}
	allocs := testing.AllocsPerRun(50, func() {
		b.Add(c1, one, -1)
		b.Add(c2, three, -1)
		b.Flush(done)
	})
	if failed != nil {
		t.Fatal(failed)
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per Add, Add, Flush; want 0", allocs)
	}
}
