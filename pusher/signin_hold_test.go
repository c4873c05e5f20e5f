package pusher_test

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/internal/syncbuf"
	"github.com/fanout/fanout/server"
)

// pusher-js sends its subscribes as soon as it is connected and its
// pusher:signin only once the app's user-authentication endpoint has
// answered: in required mode they are held, in order, and answered after
// signin_success as if they had just arrived.
func TestSubscribesBeforeSigninAreHeld(t *testing.T) {
	app := e2eApp("hold")
	n := startApps(t, app)
	c := fantest.Dial(t, appURL(n, app), nil)
	c.Send("pusher:subscribe", map[string]string{"channel": "news"})
	subscribeAuth(c, app, "private-orders.42", "")
	c.Send("pusher:subscribe", map[string]string{"channel": "private-bad", "auth": app.Key + ":0000"})
	c.Send("pusher:subscribe", map[string]string{"channel": "gone"})
	c.Send("pusher:unsubscribe", map[string]string{"channel": "gone"})
	mustPong(t, c) // nothing was answered before the signin

	signin(c, app, "u1")
	c.Expect("pusher:signin_success")
	for _, want := range []struct{ event, channel string }{
		{"pusher_internal:subscription_succeeded", "news"},
		{"pusher_internal:subscription_succeeded", "private-orders.42"},
		{"pusher:subscription_error", "private-bad"}, // judged as on arrival: a bad signature
		{"pusher_internal:subscription_succeeded", "gone"},
	} {
		if ev := c.Next(); ev.Event != want.event || ev.Channel != want.channel {
			t.Fatalf("after signin: %s %s, want %s %s", ev.Event, ev.Channel, want.event, want.channel)
		}
	}
	mustPong(t, c) // the unsubscribe of "gone" was applied in its turn
	for _, ch := range []string{"news", "private-orders.42", "gone"} {
		if st, body := n.Publish(t, app, ch, "e", `{"n":1}`); st != 200 {
			t.Fatalf("publish %s: %d %s", ch, st, body)
		}
	}
	for _, ch := range []string{"news", "private-orders.42"} {
		if ev := c.Next(); ev.Event != "e" || ev.Channel != ch {
			t.Fatalf("got %s on %q, want e on %s", ev.Event, ev.Channel, ch)
		}
	}
	mustPong(t, c) // nothing on "gone"
}

// When the grace ends without a signin, each held channel gets its own
// subscription_error (401, saying how to sign in) before the 4009, so
// Laravel Echo's .error() fires for each; and the node says so in its log,
// once per interval.
func TestHeldChannelsRefusedWhenGraceEnds(t *testing.T) {
	app := e2eApp("nosignin")
	app.Auth.SigninTimeout = 500 * time.Millisecond
	cfg := fantest.Config()
	cfg.Apps = []config.App{app}
	var logs syncbuf.Buffer
	node, err := server.New(cfg, slog.New(slog.NewTextHandler(&logs, nil)), broker.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Close)
	n := &fantest.Node{Node: node, Cfg: cfg}

	var conns []*fantest.Client
	for range 3 {
		c := fantest.Dial(t, appURL(n, app), nil)
		c.Send("pusher:subscribe", map[string]string{"channel": "news"})
		subscribeAuth(c, app, "private-orders.42", "")
		conns = append(conns, c)
	}
	for _, c := range conns {
		for _, ch := range []string{"news", "private-orders.42"} {
			e := expectSubError(t, c, ch)
			if e.Status != 401 || e.Type != "AuthError" ||
				!strings.Contains(e.Error, "userAuthentication") || !strings.Contains(e.Error, "auth.mode: optional") {
				t.Fatalf("%s: %+v", ch, e)
			}
		}
		expectClose(t, c, 4009, 10*time.Second)
	}
	want := `connections=3`
	if !logs.WaitCount(want, 1, 10*time.Second) {
		t.Fatalf("no summary with %s in the log:\n%s", want, logs.String())
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "app=nosignin") || !strings.Contains(out, "auth.mode: optional") {
		t.Fatalf("summary line:\n%s", out)
	}
}

// The hold is bounded by the channel limit: past it a subscribe is refused
// at once with a subscription_error naming its channel; what was held is
// answered after the signin.
func TestSigninHoldIsBounded(t *testing.T) {
	app := e2eApp("bounded")
	app.MaxChannelsPerConnection = 3
	n := startApps(t, app)
	c := fantest.Dial(t, appURL(n, app), nil)
	for i := range 4 {
		c.Send("pusher:subscribe", map[string]string{"channel": "ch-" + strconv.Itoa(i)})
	}
	if e := expectSubError(t, c, "ch-3"); e.Status != 400 || e.Type != "LimitReached" {
		t.Fatalf("over the hold: %+v", e)
	}
	signin(c, app, "u1")
	c.Expect("pusher:signin_success")
	for i := range 3 {
		if ev := c.Next(); ev.Event != "pusher_internal:subscription_succeeded" || ev.Channel != "ch-"+strconv.Itoa(i) {
			t.Fatalf("after signin: %+v", ev)
		}
	}
}

// Client events and unsubscribes on a channel whose subscribe is held
// keep their place behind it; an unsubscribe that finds the hold full
// withdraws the channel instead.
func TestSigninHoldKeepsChannelOrder(t *testing.T) {
	app := e2eApp("order")
	app.MaxChannelsPerConnection = 2
	n := startApps(t, app)
	other := fantest.Dial(t, appURL(n, app), bearerHeader(mint(t, app, auth.MintOptions{Subject: "u2"})))
	subscribeAuth(other, app, "private-room", "")
	other.Expect("pusher_internal:subscription_succeeded")

	c := fantest.Dial(t, appURL(n, app), nil)
	subscribeAuth(c, app, "private-room", "")
	b, _ := json.Marshal(map[string]any{"event": "client-typing", "channel": "private-room", "data": map[string]int{"n": 1}})
	c.SendRaw(b)
	subscribeAuth(c, app, "private-x", "")                                  // the hold is full now
	c.Send("pusher:unsubscribe", map[string]string{"channel": "private-x"}) // withdraws it
	signin(c, app, "u1")
	c.Expect("pusher:signin_success")
	if ev := c.Next(); ev.Event != "pusher_internal:subscription_succeeded" || ev.Channel != "private-room" {
		t.Fatalf("after signin: %+v", ev)
	}
	mustPong(t, c) // private-x was withdrawn: nothing for it
	if ev := other.Next(); ev.Event != "client-typing" || ev.Channel != "private-room" {
		t.Fatalf("the held client event: %+v", ev)
	}
}
