package pusher_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/pusher"
)

// recordingTap keeps what a node reports, in order.
type recordingTap struct{ steps chan string }

func (r recordingTap) Delivered(p *broker.Publication) {
	r.steps <- fmt.Sprintf("delivered %s %s", p.Channel, p.Event)
}

func (r recordingTap) Conn(e pusher.ConnEvent) {
	s := e.Kind + " " + e.App
	switch e.Kind {
	case pusher.ConnEventSubscribed, pusher.ConnEventUnsubscribe:
		s += " " + e.Channel
	case pusher.ConnEventClientEvent:
		s += " " + e.Channel + " " + e.Event
	case pusher.ConnEventClosed:
		s += fmt.Sprintf(" %d by %s", e.Code, e.By)
	}
	if e.SocketID == "" || e.Transport != "websocket" {
		s += " (no socket id or transport)"
	}
	r.steps <- s
}

func (r recordingTap) expect(t *testing.T, want ...string) {
	t.Helper()
	for _, w := range want {
		select {
		case got := <-r.steps:
			if got != w {
				t.Fatalf("tap saw %q, want %q", got, w)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("tap never saw %q", w)
		}
	}
}

// TestTapSeesTrafficOnlyWhileSet: a node tells its tap of every step of
// a connection's life and every event it delivers, and nothing once the
// tap is removed.
func TestTapSeesTrafficOnlyWhileSet(t *testing.T) {
	app := e2eApp("tap")
	n := startApps(t, app)
	tap := recordingTap{steps: make(chan string, 100)}
	n.Pusher.SetTap(tap)
	a := dialAs(t, n, app, "a")
	tap.expect(t, "connected tap")
	subscribeAuth(a, app, "private-chat", "")
	a.Expect("pusher_internal:subscription_succeeded")
	tap.expect(t, "subscribed tap private-chat")
	a.SendRaw([]byte(`{"event":"client-typing","channel":"private-chat","data":{}}`))
	tap.expect(t, "client_event tap private-chat client-typing", "delivered private-chat client-typing")
	if st, body := n.Publish(t, app, "private-chat", "news", "x"); st != 200 {
		t.Fatalf("publish: %d %s", st, body)
	}
	tap.expect(t, "delivered private-chat news")
	a.Send("pusher:unsubscribe", map[string]string{"channel": "private-chat"})
	tap.expect(t, "unsubscribed tap private-chat")
	_ = a.Conn.Close()
	tap.expect(t, "closed tap 1006 by client")

	n.Pusher.SetTap(nil)
	b := dialAs(t, n, app, "b")
	b.Subscribe("public")
	if st, _ := n.Publish(t, app, "public", "news", "x"); st != 200 {
		t.Fatal("publish")
	}
	b.Expect("news")
	select {
	case got := <-tap.steps:
		t.Fatalf("a removed tap saw %q", got)
	default:
	}
}
