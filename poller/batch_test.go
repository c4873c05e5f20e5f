package poller

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// acceptOne runs a poller whose handler records the connection and a
// client that sent one byte; it returns both ends.
func acceptOne(t *testing.T, o Options) (*Conn, *Poller, func() []byte) {
	t.Helper()
	return acceptOneWith(t, o, nil)
}

// acceptOneWith is acceptOne whose handler calls onOpen in OnOpen (where
// a codec is set).
func acceptOneWith(t *testing.T, o Options, onOpen func(*Conn)) (*Conn, *Poller, func() []byte) {
	t.Helper()
	var conn atomic.Pointer[Conn]
	h := &lineEcho{onOpen: onOpen, onData: func(c *Conn, data []byte) int { conn.Store(c); return len(data) }}
	p := start(t, h, o)
	c := dial(t, p)
	c.Write([]byte("x"))
	deadline := time.Now().Add(5 * time.Second)
	for conn.Load() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if conn.Load() == nil {
		t.Fatal("no connection")
	}
	readAll := func() []byte {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		conn.Load().Close() // FIN after the queue drains
		b, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return b
	}
	return conn.Load(), p, readAll
}

// frames returns k numbered buffers of size bytes starting at n.
func frames(n, k, size int) [][]byte {
	out := make([][]byte, k)
	for i := range out {
		s := fmt.Sprintf("<%d>", n+i)
		out[i] = []byte(s + strings.Repeat(".", size-len(s)))
	}
	return out
}

func TestWriteBatchKeepsOrderThroughTheQueue(t *testing.T) {
	sc, _, readAll := acceptOne(t, Options{Loops: 1})
	var want bytes.Buffer
	// 2,000 × 4 × 1 KiB = 8 MiB: far past the socket buffers while the
	// client does not read, so batches go partly to the kernel and partly
	// to the queue, and later ones behind them.
	for b := 0; b < 2000; b++ {
		fs := frames(4*b, 4, 1024)
		if err := sc.WriteBatch(fs, -1); err != nil {
			t.Fatalf("batch %d: %v", b, err)
		}
		for _, f := range fs {
			want.Write(f)
		}
	}
	if got := readAll(); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("got %d bytes, want %d in order", len(got), want.Len())
	}
	if q := sc.Queued(); q != 0 {
		t.Fatalf("%d bytes still queued", q)
	}
}

func TestWriteBatchQueueIsBounded(t *testing.T) {
	sc, _, _ := acceptOne(t, Options{Loops: 1})
	const limit = 256 << 10
	var err error
	for i := 0; i < 10000 && err == nil; i++ { // the client never reads
		err = sc.WriteBatch(frames(4*i, 4, 16<<10), limit)
	}
	if !errors.Is(err, ErrQueueFull) {
		t.Fatalf("err = %v, want ErrQueueFull", err)
	}
	if q := sc.Queued(); q > limit {
		t.Fatalf("queued %d bytes, over the %d bound", q, limit)
	}
}

// syscw reads the process's write(2)-family syscall count (proc(5)).
func syscw(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	var n int64
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			fmt.Sscan(v, &n)
		}
	}
	return n
}

func TestWriteBatchIsOneSyscall(t *testing.T) {
	sc, _, readAll := acceptOne(t, Options{Loops: 1})
	const batches, perBatch = 200, 8
	before := syscw(t)
	for b := 0; b < batches; b++ { // 200 × 8 × 100 B: well within the socket buffer
		if err := sc.WriteBatch(frames(perBatch*b, perBatch, 100), -1); err != nil {
			t.Fatal(err)
		}
	}
	writes := syscw(t) - before
	if got := len(readAll()); got != batches*perBatch*100 {
		t.Fatalf("read %d bytes", got)
	}
	// Anything else in the process writes too; one syscall per frame
	// would be 1,600.
	t.Logf("%d write syscalls for %d frames in %d batches", writes, batches*perBatch, batches)
	if writes > batches*perBatch/2 {
		t.Fatalf("%d write syscalls for %d frames in %d batches", writes, batches*perBatch, batches)
	}
}

// bracketCodec seals each plaintext as '[' + plaintext + ']', so bytes
// that bypass the codec show on the wire.
type bracketCodec struct{}

func (bracketCodec) Open(dst, wire []byte) ([]byte, []byte, error) {
	return append(dst, wire...), nil, nil
}
func (bracketCodec) Seal(p []byte) ([]byte, error) {
	return append(append([]byte{'['}, p...), ']'), nil
}

func TestWriteBatchGoesThroughTheCodec(t *testing.T) {
	// the codec is set in OnOpen, as SetCodec says: the loop reads it
	// unlocked (to read the socket through a SocketReader)
	sc, _, readAll := acceptOneWith(t, Options{Loops: 1}, func(c *Conn) { c.SetCodec(bracketCodec{}) })
	if err := sc.WriteBatch([][]byte{[]byte("a"), []byte("b"), []byte("c")}, -1); err != nil {
		t.Fatal(err)
	}
	if got := string(readAll()); got != "[abc]" {
		t.Fatalf("wire %q, want the batch sealed as one plaintext, [abc]", got)
	}
}
