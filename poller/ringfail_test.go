package poller

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// ringPeer is one accepted connection and its client end.
type ringPeer struct {
	c      *Conn
	client net.Conn
}

// acceptPeers runs one poller and n clients; each client says its index
// in one byte, so that its accepted Conn is known. ended returns the
// error OnClose got for each connection closed so far.
func acceptPeers(t *testing.T, n int) (peers []ringPeer, ended func() map[*Conn]error) {
	t.Helper()
	var mu sync.Mutex
	conns := make([]*Conn, n)
	ends := make(map[*Conn]error)
	h := &lineEcho{onData: func(c *Conn, data []byte) int {
		mu.Lock()
		conns[data[0]] = c
		mu.Unlock()
		return len(data)
	}, onClose: func(c *Conn, err error) {
		mu.Lock()
		ends[c] = err
		mu.Unlock()
	}}
	p := start(t, h, Options{Loops: 1})
	peers = make([]ringPeer, n)
	for i := range peers {
		peers[i].client = dial(t, p)
		if _, err := peers[i].client.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		mu.Lock()
		all := true
		for i, c := range conns {
			peers[i].c = c
			all = all && c != nil
		}
		mu.Unlock()
		if all {
			return peers, func() map[*Conn]error {
				mu.Lock()
				defer mu.Unlock()
				return maps.Clone(ends)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("not every client was accepted")
		}
	}
}

// readToEnd reads what the client gets until the connection ends, and
// how it ended.
func readToEnd(t *testing.T, c net.Conn) ([]byte, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			return got, err
		}
	}
}

// wantEnded checks that the server ended the connection (FIN or RST)
// and that what reached the client before is whole frames of size bytes.
func wantEnded(t *testing.T, who string, c net.Conn, size int) {
	t.Helper()
	got, err := readToEnd(t, c)
	if err != io.EOF && !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("%s: read ended with %v, want EOF or a reset from the server", who, err)
	}
	checkStream(t, got[:len(got)/size*size], map[string]int{"A": size}, nil)
}

// wantLive checks that the server still writes to p: it closes it
// cleanly and the client reads frames 0 to n-1 of A, whole, then EOF.
func wantLive(t *testing.T, who string, p ringPeer, size, n int) {
	t.Helper()
	p.c.Close()
	got, err := readToEnd(t, p.client)
	if err != io.EOF {
		t.Fatalf("%s: read ended with %v, want EOF after the frames", who, err)
	}
	checkStream(t, got, map[string]int{"A": size}, map[string]int{"A": n})
}

// wantUnlocked checks that no connection's lock is still held, and that
// a write to a shut connection is refused at once.
func wantUnlocked(t *testing.T, peers []ringPeer) {
	t.Helper()
	for i, p := range peers {
		if !p.c.mu.TryLock() {
			t.Fatalf("connection %d: its lock is still held after Flush", i)
		}
		p.c.mu.Unlock()
	}
}

// flushErrs flushes b and returns each entry's error.
func flushErrs(b *SendBatch) []error {
	errs := make([]error, b.Len())
	b.Flush(func(i int, err error) { errs[i] = err })
	return errs
}

// io_uring_enter fails while waiting for the completions of sends the
// kernel took (the completions are lost with the ring): the batch must
// not stop the process. Those connections are shut down, since their
// sends may have gone out whole, in part or not at all; their locks are
// released; the ring is retired and later batches reach the other
// connections through writev(2).
func TestSendBatchRingFailureShutsInFlightConnections(t *testing.T) {
	b := newSendBatch(t)
	peers, ended := acceptPeers(t, 6)
	const size = 200
	for _, p := range peers {
		b.Add(p.c, tagged("A", 0, 1, size), -1)
	}
	for i, err := range flushErrs(b) {
		if err != nil {
			t.Fatalf("before the failure, connection %d: %v", i, err)
		}
	}
	ringed := b.ringed
	if ringed != len(peers) {
		t.Fatalf("%d sends went through the ring, want %d", ringed, len(peers))
	}

	fd := b.ring.fd
	b.ring.fault = &ringFault{errno: unix.EBADF}
	for _, p := range peers[:4] {
		b.Add(p.c, tagged("A", 1, 1, size), -1)
	}
	for i, err := range flushErrs(b) {
		if err != ErrSendInDoubt {
			t.Fatalf("connection %d, whose send the ring held: %v, want ErrSendInDoubt", i, err)
		}
	}
	if err := b.Err(); !errors.Is(err, ErrRingFailed) || !errors.Is(err, unix.EBADF) {
		t.Fatalf("Err() = %v, want ErrRingFailed wrapping EBADF", err)
	}
	// After EBADF the descriptor number is not the batch's to close (here
	// it is still the ring, which the test closes).
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		t.Fatalf("the batch closed descriptor %d after EBADF: %v", fd, err)
	}
	unix.Close(fd)
	wantUnlocked(t, peers)

	// Later batches: the shut connections are refused, the others get
	// every frame, none through the ring.
	next := 1 // frames A:0 to A:next-1 went to every live connection
	for r := range 50 {
		k := 1 + r%3
		for _, p := range peers {
			b.Add(p.c, tagged("A", next, k, size), -1)
		}
		next += k
		for i, err := range flushErrs(b) {
			want := error(nil)
			if i < 4 {
				want = ErrClosed
			}
			if err != want {
				t.Fatalf("round %d, connection %d: %v, want %v", r, i, err, want)
			}
		}
	}
	if b.ringed != ringed {
		t.Fatalf("%d sends went through a retired ring", b.ringed-ringed)
	}
	wantUnlocked(t, peers)
	for i, p := range peers[:4] {
		if err := p.c.Write(tagged("A", 0, 1, size)[0]); err != ErrClosed {
			t.Fatalf("write to shut connection %d: %v, want ErrClosed", i, err)
		}
		wantEnded(t, "shut connection", p.client, size)
	}
	for _, p := range peers[4:] {
		wantLive(t, "connection outside the failed batch", p, size, next)
	}
	// The loop closed the shut connections' descriptors (the live ones
	// wait for their clients to close) and told the handler why: the
	// server shut them, it was not their clients' end-of-file.
	for deadline := time.Now().Add(10 * time.Second); len(ended()) < 4; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("OnClose ran for %d connections, want the 4 shut ones", len(ended()))
		}
	}
	ends := ended()
	for i, p := range peers[:4] {
		if err, ok := ends[p.c]; !ok || err != ErrSendInDoubt {
			t.Errorf("shut connection %d: OnClose got %v (called: %v), want ErrSendInDoubt", i, err, ok)
		}
	}
}

// The ring fails in the middle of a Flush, when its submission queue is
// full: the entry whose SQE did not fit holds its lock across the failed
// submit and must be written with writev(2) and released, and so must
// every entry after it; only the sends the ring held are lost.
func TestSendBatchRingFailureMidFlushReleasesLocks(t *testing.T) {
	b := newSendBatchOf(t, 4)
	held := b.ring.entries
	peers, _ := acceptPeers(t, held+3)
	b.ring.fault = &ringFault{errno: unix.ENXIO}
	const size = 300
	for _, p := range peers {
		b.Add(p.c, tagged("A", 0, 2, size), -1)
	}
	errs := flushErrs(b)
	wantUnlocked(t, peers)
	for i, err := range errs {
		want := error(nil)
		if i < held {
			want = ErrSendInDoubt
		}
		if err != want {
			t.Fatalf("connection %d of %d (the ring holds %d): %v, want %v", i, len(peers), held, err, want)
		}
	}
	if !errors.Is(b.Err(), unix.ENXIO) {
		t.Fatalf("Err() = %v, want ENXIO", b.Err())
	}
	for _, p := range peers[:held] {
		wantEnded(t, "connection whose send the ring held", p.client, size)
	}
	for _, p := range peers[held:] {
		wantLive(t, "connection after the full ring", p, size, 2)
	}
}

// A ring whose wait the kernel keeps refusing for now (EAGAIN) while no
// completion arrives is stuck: the batch retires it rather than spin
// with the connections' locks held.
func TestSendBatchStalledRingIsRetired(t *testing.T) {
	b := newSendBatch(t)
	peers, _ := acceptPeers(t, 3)
	b.ring.fault = &ringFault{errno: unix.EAGAIN}
	const size = 100
	for _, p := range peers {
		b.Add(p.c, tagged("A", 0, 1, size), -1)
	}
	for i, err := range flushErrs(b) {
		if err != ErrSendInDoubt {
			t.Fatalf("connection %d: %v, want ErrSendInDoubt", i, err)
		}
	}
	if !errors.Is(b.Err(), unix.EAGAIN) {
		t.Fatalf("Err() = %v, want EAGAIN", b.Err())
	}
	wantUnlocked(t, peers)
	for _, p := range peers {
		wantEnded(t, "connection whose send the stuck ring held", p.client, size)
	}
}

// io_uring_enter fails on submission after the kernel took some SQEs:
// those sends completed and are settled from their completions; the
// rest are written with writev(2); no connection is lost, and the ring
// is retired.
func TestSendBatchSubmitFailureWritesTheRest(t *testing.T) {
	b := newSendBatch(t)
	peers, _ := acceptPeers(t, 5)
	b.ring.fault = &ringFault{errno: unix.EFAULT, submit: true, take: 2}
	const size = 100
	for _, p := range peers {
		b.Add(p.c, tagged("A", 0, 1, size), -1)
	}
	for i, err := range flushErrs(b) {
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
	}
	if b.ringed != 2 {
		t.Fatalf("%d sends settled from the ring, want the 2 it took", b.ringed)
	}
	if !errors.Is(b.Err(), unix.EFAULT) || b.ring != nil {
		t.Fatalf("Err() = %v, ring retired %v; want EFAULT, true", b.Err(), b.ring == nil)
	}
	wantUnlocked(t, peers)
	for _, p := range peers {
		b.Add(p.c, tagged("A", 1, 3, size), -1)
	}
	for i, err := range flushErrs(b) {
		if err != nil {
			t.Fatalf("after the failure, connection %d: %v", i, err)
		}
	}
	for _, p := range peers {
		wantLive(t, "connection", p, size, 4)
	}
}

// The kernel drops a submission whose index array entry is out of range
// (the ring's memory no longer holds what the batch wrote there): it
// takes the SQE without running it, counts it as dropped, posts no
// completion and submits nothing more in that call. The batch must not
// wait for that completion for ever: it retires the ring, shuts the
// connection whose send was dropped (the batch cannot tell a dropped
// send from one whose completion is lost) and writes the rest with
// writev(2).
func TestSendBatchDroppedSubmissionRetiresRing(t *testing.T) {
	b := newSendBatch(t)
	peers, ended := acceptPeers(t, 3)
	for i := range b.ring.sqArray {
		b.ring.sqArray[i] = ^uint32(0)
	}
	const size = 100
	for _, p := range peers {
		b.Add(p.c, tagged("A", 0, 1, size), -1)
	}
	flushed := make(chan []error)
	go func() { flushed <- flushErrs(b) }()
	var errs []error
	select {
	case errs = <-flushed:
	case <-time.After(30 * time.Second): // a hang guard, not a timing
		// The stuck Flush holds its connections' locks, which the
		// cleanups (run after t.Fatal, or a panic) would wait on until
		// the binary's -timeout: report and end the binary now.
		fmt.Fprintf(os.Stderr, "--- FAIL: %s: Flush still waits for the completion of a submission the kernel dropped\n", t.Name())
		os.Exit(1)
	}
	for i, err := range errs {
		want := error(nil)
		if i == 0 {
			want = ErrSendInDoubt
		}
		if err != want {
			t.Fatalf("connection %d: %v, want %v", i, err, want)
		}
	}
	if err := b.Err(); !errors.Is(err, ErrRingFailed) || !errors.Is(err, ErrSubmissionDropped) {
		t.Fatalf("Err() = %v, want ErrRingFailed wrapping ErrSubmissionDropped", err)
	}
	wantUnlocked(t, peers)
	wantEnded(t, "connection whose send was dropped", peers[0].client, size)
	for _, p := range peers[1:] {
		wantLive(t, "connection after the dropped send", p, size, 1)
	}
	for deadline := time.Now().Add(10 * time.Second); ended()[peers[0].c] != ErrSendInDoubt; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("OnClose for the shut connection: %v", ended())
		}
	}
}
