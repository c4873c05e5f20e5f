package pusher

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	engine "github.com/fanout/fanout/delivery"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/panjf2000/ants/v2"
)

// refusalCounter counts Observer.Refused by kind.
type refusalCounter struct {
	nopObserver
	clientEvents, upgrades atomic.Int64
}

func (r *refusalCounter) Refused(kind string) {
	switch kind {
	case RefusedClientEvent:
		r.clientEvents.Add(1)
	case RefusedUpgrade:
		r.upgrades.Add(1)
	}
}

// TestClientEventRefusedWith4100WhenTheQueueIsFull: with the delivery
// workers not running, a channel's queue fills; the next client event is
// refused to its sender with pusher:error 4100 and counted, and the
// connection stays open (it still answers a ping).
func TestClientEventRefusedWith4100WhenTheQueueIsFull(t *testing.T) {
	rec := &refusalCounter{}
	s, err := New(Options{Metrics: rec, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Apps: []*App{{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthOff,
			ClientEvents: true, ClientEventRate: 10000}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.poller.Serve() // the loops only: nothing drains the delivery queues
	t.Cleanup(s.Close)
	cl := dialWS(t, "ws://"+s.Addr().String()+"/app/app-key?protocol=7", nil)
	c := s.onlyOpenConn(t)
	const channel = "private-full"
	sig := auth.SignChannel("app-key", "app-secret", c.socketID(), channel, "")
	cl.send("pusher:subscribe", map[string]string{"channel": channel, "auth": sig})
	if ev := cl.next(); ev.Event != "pusher_internal:subscription_succeeded" {
		t.Fatalf("subscribe: got %q", ev.Event)
	}
	msg, _ := json.Marshal(map[string]any{"event": "client-x", "channel": channel, "data": "{}"})
	room := engine.LaneRoom(1)
	for range room + 1 {
		if err := wsutil.WriteClientText(cl.conn, msg); err != nil {
			t.Fatal(err)
		}
	}
	ev := cl.next()
	var d struct{ Code int }
	if ev.Event != "pusher:error" || json.Unmarshal(unquote(ev.Data), &d) != nil || d.Code != 4100 {
		t.Fatalf("after %d client events got %q %s, want pusher:error 4100", room+1, ev.Event, ev.Data)
	}
	if n := rec.clientEvents.Load(); n != 1 {
		t.Fatalf("%d refusals counted, want 1", n)
	}
	cl.send("pusher:ping", map[string]any{})
	if ev := cl.next(); ev.Event != "pusher:pong" {
		t.Fatalf("after the refusal got %q, want pusher:pong (connection open)", ev.Event)
	}
}

// unquote returns the JSON inside a Pusher data string, or raw as it is.
func unquote(raw json.RawMessage) []byte {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []byte(s)
	}
	return raw
}

// TestPublishWaitsForRoomThenBusy: a publish to a full channel queue
// waits about publishWait for room and is refused with ErrBusy; with room
// made meanwhile it is accepted.
func TestPublishWaitsForRoomThenBusy(t *testing.T) {
	s, err := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Apps: []*App{{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthOff}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	s.poller.Serve() // nothing drains the delivery queues yet
	t.Cleanup(s.Close)
	p := broker.Publication{App: "app-id", Channel: "full", Event: "e", Data: `"x"`}
	for i := range engine.LaneRoom(0) {
		if err := s.Offer(doneCtx, p); err != nil {
			t.Fatalf("offer %d: %v", i, err)
		}
	}
	start := time.Now()
	if err := s.Publish(context.Background(), p); !errors.Is(err, ErrBusy) {
		t.Fatalf("publish to a full queue: %v, want ErrBusy", err)
	}
	if took := time.Since(start); took < publishWait/2 {
		t.Fatalf("refused after %v, want a wait of about %v", took, publishWait)
	}
	done := make(chan error, 1)
	go func() { done <- s.Publish(context.Background(), p) }()
	s.startDelivery() // room appears while the publish waits
	if err := <-done; err != nil {
		t.Fatalf("publish once the workers run: %v", err)
	}
}

// TestTokenCheckWithNoRoomClosesWith4100: a token that needs the key-set
// check, arriving while the work queue in front of the pool is full, is
// not checked on the loop and does not wait: that one connection is
// upgraded and closed with 4100 (reconnect later), and counted.
func TestTokenCheckWithNoRoomClosesWith4100(t *testing.T) {
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"keys":[]}`)
	}))
	t.Cleanup(jwks.Close)
	v, err := auth.NewVerifier(auth.JWTOptions{JWKSURL: jwks.URL})
	if err != nil {
		t.Fatal(err)
	}
	pool, err := ants.NewPool(1, ants.WithNonblocking(true))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Release)
	rec := &refusalCounter{}
	s := newTestServer(t, Options{Pool: pool, Metrics: rec, Apps: []*App{{ID: "app-id", Key: "app-key",
		Secret: "app-secret", Auth: AuthOptional, JWT: v}}}, true)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	started := make(chan struct{})
	if err := s.work.Submit(func() { close(started); <-release }); err != nil { // the one worker is busy
		t.Fatal(err)
	}
	<-started
	for range workQueueLen { // and the queue behind it is full
		if err := s.work.Submit(func() {}); err != nil {
			t.Fatal(err)
		}
	}
	d := ws.Dialer{Timeout: 5 * time.Second, Header: ws.HandshakeHeaderHTTP(http.Header{"Authorization": {"Bearer some.jwt.token"}})}
	conn, br, _, err := d.Dial(context.Background(), "ws://"+s.Addr().String()+"/app/app-key?protocol=7")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	var r io.Reader = conn
	if br != nil {
		r = io.MultiReader(br, conn)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, err := wsutil.ReadServerText(struct {
			io.Reader
			io.Writer
		}{r, conn})
		var ce wsutil.ClosedError
		if errors.As(err, &ce) {
			if ce.Code != 4100 {
				t.Fatalf("closed with %d, want 4100", ce.Code)
			}
			break
		}
		if err != nil {
			t.Fatalf("read: %v", err)
		}
	}
	if n := rec.upgrades.Load(); n != 1 {
		t.Fatalf("%d upgrade refusals counted, want 1", n)
	}
}
