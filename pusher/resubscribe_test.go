package pusher_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// Pusher Channels answers a second pusher:subscribe for a channel the
// connection holds with pusher:error, code null, "Existing subscription to
// channel NAME"; pusher-js throws on a repeated presence
// subscription_succeeded, so the server must not send one.
func TestResubscribeAnswersExistingSubscription(t *testing.T) {
	app := e2eApp("resub")
	n := startApps(t, app)
	c := dialAs(t, n, app, "u1")
	pd := `{"user_id":"u1"}`
	for _, ch := range []string{"news", "private-a", "presence-room"} {
		data := ""
		if strings.HasPrefix(ch, "presence-") {
			data = pd
		}
		subscribeAuth(c, app, ch, data)
		if ev := c.Expect("pusher_internal:subscription_succeeded"); ev.Channel != ch {
			t.Fatalf("first subscribe answered for %q, want %q", ev.Channel, ch)
		}
		subscribeAuth(c, app, ch, data)
		ev := c.Next()
		if ev.Event != "pusher:error" {
			t.Fatalf("second subscribe to %s answered %+v, want pusher:error", ch, ev)
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(ev.DataString()), &d); err != nil {
			t.Fatalf("pusher:error data %s: %v", ev.Data, err)
		}
		if code, ok := d["code"]; !ok || code != nil {
			t.Fatalf("code %v (present %v), want JSON null", code, ok)
		}
		if want := "Existing subscription to channel " + ch; d["message"] != want {
			t.Fatalf("message %q, want %q", d["message"], want)
		}
	}
	// The subscriptions are unchanged: one delivery each, one member.
	for _, ch := range []string{"news", "private-a", "presence-room"} {
		if st, body := n.Publish(t, app, ch, "ev", `"x"`); st != 200 {
			t.Fatalf("publish %s: %d %s", ch, st, body)
		}
		if ev := c.Expect("ev"); ev.Channel != ch {
			t.Fatalf("event on %q, want %q", ev.Channel, ch)
		}
	}
	st, body := n.API(t, app, "GET", "/apps/"+app.ID+"/channels/presence-room/users", nil, nil)
	if st != 200 || strings.TrimSpace(body) != `{"users":[{"id":"u1"}]}` {
		t.Fatalf("members after a repeated subscribe: %d %s", st, body)
	}
	mustPong(t, c)
}
