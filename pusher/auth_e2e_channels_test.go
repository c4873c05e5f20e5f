package pusher_test

import (
	"encoding/json"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws/wsutil"
)

// End-to-end proofs of channel authorization, presence, cache channels,
// client events and the per-connection limits.

// dialAs opens a connection of app authenticated by a token for sub with
// the given channel grants.
func dialAs(t *testing.T, n *fantest.Node, a config.App, sub string, grants ...string) *fantest.Client {
	t.Helper()
	return fantest.Dial(t, appURL(n, a), bearerHeader(mint(t, a, auth.MintOptions{Subject: sub, Channels: grants})))
}

func TestChannelAuthorization(t *testing.T) {
	app := e2eApp("chanauth")
	other := e2eApp("chanother")
	n := startApps(t, app, other)
	c := dialAs(t, n, app, "u1")
	peer := dialAs(t, n, app, "u2")
	pd := `{"user_id":"u1"}`
	cases := []struct {
		name, channel, auth, data string
		status                    int // 0: success
	}{
		{"private ok", "private-a", auth.SignChannel(app.Key, app.Secret, c.SocketID, "private-a", ""), "", 0},
		{"private no auth", "private-b", "", "", 401},
		{"private wrong secret", "private-b", auth.SignChannel(app.Key, "nope", c.SocketID, "private-b", ""), "", 401},
		{"private other app's signature", "private-b", auth.SignChannel(other.Key, other.Secret, c.SocketID, "private-b", ""), "", 401},
		{"private signed for another socket", "private-b", auth.SignChannel(app.Key, app.Secret, peer.SocketID, "private-b", ""), "", 401},
		{"private signed for another channel", "private-b", auth.SignChannel(app.Key, app.Secret, c.SocketID, "private-a", ""), "", 401},
		{"private garbage", "private-b", "garbage", "", 401},
		{"encrypted ok", "private-encrypted-a", auth.SignChannel(app.Key, app.Secret, c.SocketID, "private-encrypted-a", ""), "", 0},
		{"encrypted wrong", "private-encrypted-b", auth.SignChannel(app.Key, "nope", c.SocketID, "private-encrypted-b", ""), "", 401},
		{"presence ok", "presence-a", auth.SignChannel(app.Key, app.Secret, c.SocketID, "presence-a", pd), pd, 0},
		{"presence data swapped", "presence-b", auth.SignChannel(app.Key, app.Secret, c.SocketID, "presence-b", pd), `{"user_id":"admin"}`, 401},
		{"presence signed without data", "presence-b", auth.SignChannel(app.Key, app.Secret, c.SocketID, "presence-b", ""), pd, 401},
		{"presence no auth", "presence-b", "", pd, 401},
	}
	for _, tc := range cases {
		d := map[string]string{"channel": tc.channel, "auth": tc.auth}
		if tc.data != "" {
			d["channel_data"] = tc.data
		}
		c.Send("pusher:subscribe", d)
		ev := c.Next()
		switch {
		case tc.status == 0 && (ev.Event != "pusher_internal:subscription_succeeded" || ev.Channel != tc.channel):
			t.Errorf("%s: got %s %s, want subscription_succeeded", tc.name, ev.Event, ev.Data)
		case tc.status != 0:
			var e subError
			_ = json.Unmarshal([]byte(ev.DataString()), &e)
			if ev.Event != "pusher:subscription_error" || ev.Channel != tc.channel || e.Status != tc.status {
				t.Errorf("%s: got %s %s %s, want subscription_error %d", tc.name, ev.Event, ev.Channel, ev.Data, tc.status)
			}
		}
	}
	mustPong(t, c) // refusals leave the connection open
}

func TestTokenChannelGrants(t *testing.T) {
	app := e2eApp("grants")
	n := startApps(t, app)
	c := dialAs(t, n, app, "u7", "private-team.*", "presence-room-1")
	c.Send("pusher:subscribe", map[string]string{"channel": "private-team.red"})
	if ev := c.Next(); ev.Event != "pusher_internal:subscription_succeeded" {
		t.Fatalf("granted private: %+v", ev)
	}
	c.Send("pusher:subscribe", map[string]string{"channel": "private-other"})
	if e := expectSubError(t, c, "private-other"); e.Status != 401 {
		t.Fatalf("ungranted private: %+v", e)
	}
	c.Send("pusher:subscribe", map[string]string{"channel": "presence-room-2"})
	if e := expectSubError(t, c, "presence-room-2"); e.Status != 401 {
		t.Fatalf("ungranted presence: %+v", e)
	}
	// A grant admits presence without channel_data: the member is sub.
	c.Send("pusher:subscribe", map[string]string{"channel": "presence-room-1"})
	ev := c.Expect("pusher_internal:subscription_succeeded")
	if !strings.Contains(ev.DataString(), `"u7"`) {
		t.Fatalf("presence snapshot %s lacks the token subject", ev.Data)
	}
	// No grants: the HMAC is the only way in.
	plain := dialAs(t, n, app, "u8")
	plain.Send("pusher:subscribe", map[string]string{"channel": "private-team.red"})
	if e := expectSubError(t, plain, "private-team.red"); e.Status != 401 {
		t.Fatalf("no grant: %+v", e)
	}
}

// A grant that names the token's own user ("private-<sub>.*", kept in a
// form shared between users) admits that user's channels only, and stays
// the token's grant when pusher:signin switches the connection to another
// user.
func TestTokenPerUserGrant(t *testing.T) {
	app := e2eApp("usergrant")
	n := startApps(t, app)
	c1 := dialAs(t, n, app, "u00001", "private-u00001.*")
	c2 := dialAs(t, n, app, "u00002", "private-u00002.*")
	subscribeOutcome(t, c1, "private-u00001.inbox", 0)
	subscribeOutcome(t, c1, "private-u00002.inbox", 401) // another user's
	signin(c2, app, "u00003")
	c2.Expect("pusher:signin_success")
	subscribeOutcome(t, c2, "private-u00002.a", 0)   // still the token's grant
	subscribeOutcome(t, c2, "private-u00003.a", 401) // not the signed-in user's
}

// subscribeOutcome subscribes c without a signature and checks the
// answer: success for status 0, else a subscription_error with status.
func subscribeOutcome(t *testing.T, c *fantest.Client, channel string, status int) {
	t.Helper()
	c.Send("pusher:subscribe", map[string]string{"channel": channel})
	if status == 0 {
		if ev := c.Next(); ev.Event != "pusher_internal:subscription_succeeded" || ev.Channel != channel {
			t.Fatalf("subscribe %s: %+v, want success", channel, ev)
		}
		return
	}
	if e := expectSubError(t, c, channel); e.Status != status {
		t.Fatalf("subscribe %s: %+v, want status %d", channel, e, status)
	}
}

// presenceUsers returns the sorted member ids through the HTTP API.
func presenceUsers(t *testing.T, n *fantest.Node, a config.App, channel string) []string {
	t.Helper()
	st, body := n.API(t, a, "GET", "/apps/"+a.ID+"/channels/"+channel+"/users", url.Values{}, nil)
	if st != 200 {
		t.Fatalf("users endpoint: %d %s", st, body)
	}
	var r struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("users body %s: %v", body, err)
	}
	var ids []string
	for _, u := range r.Users {
		ids = append(ids, u.ID)
	}
	sort.Strings(ids)
	return ids
}

func TestPresenceMembersAndLimit(t *testing.T) {
	app := e2eApp("presence")
	app.MaxPresenceMembers = 2
	n := startApps(t, app)
	const ch = "presence-lobby"
	join := func(user string) *fantest.Client {
		c := dialAs(t, n, app, user)
		subscribeAuth(c, app, ch, `{"user_id":"`+user+`","user_info":{"name":"`+user+`"}}`)
		return c
	}
	alice := join("alice")
	alice.Expect("pusher_internal:subscription_succeeded")
	bob := join("bob")
	ev := bob.Expect("pusher_internal:subscription_succeeded")
	if !strings.Contains(ev.DataString(), `"count":2`) {
		t.Fatalf("bob's snapshot: %s", ev.Data)
	}
	if ev := alice.Expect("pusher_internal:member_added"); ev.Channel != ch || !strings.Contains(ev.DataString(), `"user_id":"bob"`) {
		t.Fatalf("member_added: %+v", ev)
	}
	if got := presenceUsers(t, n, app, ch); strings.Join(got, ",") != "alice,bob" {
		t.Fatalf("users: %v", got)
	}
	// A second connection of a member does not count against the limit.
	bob2 := join("bob")
	bob2.Expect("pusher_internal:subscription_succeeded")
	carol := join("carol")
	if e := expectSubError(t, carol, ch); e.Type != "LimitReached" {
		t.Fatalf("over the member limit: %+v", e)
	}
	mustPong(t, carol)
	// bob leaves on one connection: still a member; on both: removed.
	bob.Send("pusher:unsubscribe", map[string]string{"channel": ch})
	mustPong(t, bob)
	if ev, err := alice.NextErr(200 * time.Millisecond); err == nil {
		t.Fatalf("member event while bob is still present: %+v", ev)
	}
	bob2.Conn.Close()
	if ev := alice.Expect("pusher_internal:member_removed"); !strings.Contains(ev.DataString(), `"user_id":"bob"`) {
		t.Fatalf("member_removed: %+v", ev)
	}
	if got := presenceUsers(t, n, app, ch); strings.Join(got, ",") != "alice" {
		t.Fatalf("users after bob left: %v", got)
	}
	// Room again: carol gets in.
	subscribeAuth(carol, app, ch, `{"user_id":"carol"}`)
	carol.Expect("pusher_internal:subscription_succeeded")
}

func TestCacheChannels(t *testing.T) {
	app := e2eApp("cache")
	n := startApps(t, app)
	first := dialAs(t, n, app, "u1")
	first.Send("pusher:subscribe", map[string]string{"channel": "cache-prices"})
	first.Expect("pusher_internal:subscription_succeeded")
	if ev := first.Next(); ev.Event != "pusher:cache_miss" || ev.Channel != "cache-prices" {
		t.Fatalf("first subscriber: %+v, want cache_miss", ev)
	}
	if st, body := n.Publish(t, app, "cache-prices", "tick", `{"p":42}`); st != 200 {
		t.Fatalf("publish: %d %s", st, body)
	}
	first.Expect("tick")
	late := dialAs(t, n, app, "u2")
	subscribeAuth(late, app, "private-cache-none", "")
	late.Expect("pusher_internal:subscription_succeeded")
	if ev := late.Next(); ev.Event != "pusher:cache_miss" {
		t.Fatalf("private cache channel with no event: %+v", ev)
	}
	late.Send("pusher:subscribe", map[string]string{"channel": "cache-prices"})
	late.Expect("pusher_internal:subscription_succeeded")
	if ev := late.Next(); ev.Event != "tick" || ev.DataString() != `{"p":42}` {
		t.Fatalf("late subscriber: %+v, want the cached tick", ev)
	}
}

func TestClientEvents(t *testing.T) {
	app := e2eApp("clientev")
	app.ClientEventRate = 5
	app.MaxEventData = 100
	off := e2eApp("noclientev")
	off.ClientEvents = false
	n := startApps(t, app, off)
	a, b := dialAs(t, n, app, "a"), dialAs(t, n, app, "b")
	for _, c := range []*fantest.Client{a, b} {
		subscribeAuth(c, app, "private-chat", "")
		c.Expect("pusher_internal:subscription_succeeded")
		subscribeAuth(c, app, "private-encrypted-chat", "")
		c.Expect("pusher_internal:subscription_succeeded")
		c.Subscribe("public-chat")
	}
	send := func(c *fantest.Client, channel, data string) {
		c.SendRaw([]byte(`{"event":"client-typing","channel":"` + channel + `","data":` + data + `}`))
	}
	send(a, "private-chat", `{"x":1}`)
	if ev := b.Expect("client-typing"); ev.Channel != "private-chat" {
		t.Fatalf("relay: %+v", ev)
	}
	if ev, err := a.NextErr(300 * time.Millisecond); err == nil {
		t.Fatalf("client event echoed to its sender: %+v", ev)
	}
	refused := []struct{ name, channel, data string }{
		{"encrypted", "private-encrypted-chat", `{"x":1}`},
		{"public", "public-chat", `{"x":1}`},
		{"not subscribed", "private-elsewhere", `{"x":1}`},
		{"data too large", "private-chat", `"` + strings.Repeat("x", 200) + `"`},
	}
	want := map[string]int{"data too large": 4302}
	for _, r := range refused {
		send(a, r.channel, r.data)
		ev := a.Next()
		code := errorCode(t, ev)
		if w := want[r.name]; (w != 0 && code != w) || (w == 0 && code != 4303) {
			t.Errorf("%s: pusher:error %d", r.name, code)
		}
		if ev.Channel != r.channel || !strings.Contains(ev.DataString(), r.channel) { // names its channel
			t.Errorf("%s: refusal %s %s does not name %s", r.name, ev.Channel, ev.DataString(), r.channel)
		}
	}
	if ev, err := b.NextErr(300 * time.Millisecond); err == nil {
		t.Fatalf("a refused client event was relayed: %+v", ev)
	}
	// Disabled for the app.
	d := dialAs(t, n, off, "d")
	subscribeAuth(d, off, "private-chat", "")
	d.Expect("pusher_internal:subscription_succeeded")
	send(d, "private-chat", `{}`)
	if code := errorCode(t, d.Next()); code != 4303 {
		t.Fatalf("client events off: pusher:error %d", code)
	}
	// Rate limit: a burst far above 5/s closes with 4301.
	for i := 0; i < 30; i++ {
		if err := writeText(a, `{"event":"client-spam","channel":"private-chat","data":{}}`); err != nil {
			break // the server closed first
		}
	}
	expectClose(t, a, 4301, 5*time.Second)
	mustPong(t, b)
}

func TestChannelAndDataLimits(t *testing.T) {
	app := e2eApp("limits")
	app.MaxChannelsPerConnection = 3
	app.MaxEventData = 64
	n := startApps(t, app)
	c := dialAs(t, n, app, "u1")
	for _, ch := range []string{"a", "b", "c"} {
		c.Subscribe(ch)
	}
	c.Send("pusher:subscribe", map[string]string{"channel": "d"})
	if e := expectSubError(t, c, "d"); e.Type != "LimitReached" {
		t.Fatalf("fourth channel: %+v", e)
	}
	c.Send("pusher:subscribe", map[string]string{"channel": "a"}) // already subscribed: not a new channel
	if ev := c.Expect("pusher:error"); !strings.Contains(ev.DataString(), "Existing subscription to channel a") {
		t.Fatalf("repeated subscribe: %+v", ev)
	}
	c.Send("pusher:unsubscribe", map[string]string{"channel": "a"})
	c.Subscribe("d")
	mustPong(t, c)
	if st, _ := n.Publish(t, app, "d", "ev", strings.Repeat("x", 65)); st != 413 {
		t.Fatalf("HTTP API data over the limit: %d, want 413", st)
	}
	if st, body := n.Publish(t, app, "d", "ev", strings.Repeat("x", 64)); st != 200 {
		t.Fatalf("HTTP API data at the limit: %d %s", st, body)
	}
	c.Expect("ev")
}

// writeText sends one text message, reporting a write error instead of
// failing (the server may close mid-burst).
func writeText(c *fantest.Client, s string) error {
	return wsutil.WriteClientText(c.Conn, []byte(s))
}

// After pusher:signin, pusher-js subscribes to "#server-to-user-<id>";
// Pusher accepts it for the signed-in user only.
func TestServerToUserChannel(t *testing.T) {
	app := e2eApp("userchan")
	app.Auth.Mode = config.AuthOptional
	n := startApps(t, app)
	c := fantest.Dial(t, appURL(n, app), nil)
	c.Send("pusher:subscribe", map[string]string{"channel": "#server-to-user-u1"})
	if e := expectSubError(t, c, "#server-to-user-u1"); e.Status != 401 {
		t.Fatalf("before signin: %+v", e)
	}
	signin(c, app, "u1")
	c.Expect("pusher:signin_success")
	c.Send("pusher:subscribe", map[string]string{"channel": "#server-to-user-u1"})
	if ev := c.Next(); ev.Event != "pusher_internal:subscription_succeeded" || ev.Channel != "#server-to-user-u1" {
		t.Fatalf("own user channel: %+v", ev)
	}
	c.Send("pusher:subscribe", map[string]string{"channel": "#server-to-user-u2"})
	if e := expectSubError(t, c, "#server-to-user-u2"); e.Status != 401 {
		t.Fatalf("another user's channel: %+v", e)
	}
	mustPong(t, c)
}
