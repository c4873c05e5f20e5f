package pusher

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/poller"
)

// With Options.IOUring the delivery workers write through io_uring: every
// reading subscriber gets every event of a channel in order, and one that
// stops reading fills its app's queue bound and is closed with 4100, as
// on the writev(2) path.
func TestIOUringFanOutInOrderAndSlowConsumerClosed(t *testing.T) {
	if b, err := poller.NewSendBatch(8); errors.Is(err, poller.ErrNoIOUring) {
		t.Skipf("no io_uring here: %v", err)
	} else if err == nil {
		b.Close()
	}
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
	const events, readers = 2500, 3 // 2,500 × 4 KiB: past the socket buffers and 64 KiB
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
	pad := strings.Repeat("x", slowDataSize)
	for i := range events {
		p := broker.Publication{App: "app-id", Channel: "feed", Event: "tick", Data: `"` + strconv.Itoa(i) + " " + pad + `"`}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.Offer(ctx, p)
		cancel()
		if err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
	}
	wg.Wait()
	for i, n := range got {
		if n != events {
			t.Errorf("subscriber %d got events 0..%d in order, want all %d", i, n-1, events)
		}
	}
	rec.expect(t, 4100, 20*time.Second, "slow consumer over its app's 64 KiB queue limit")
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
