package server_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/fantest"
)

// subCountOf reads the count of a pusher_internal:subscription_count.
func subCountOf(t *testing.T, ev fantest.Event) int {
	t.Helper()
	var d struct {
		N *int `json:"subscription_count"`
	}
	if ev.Event != "pusher_internal:subscription_count" || json.Unmarshal([]byte(ev.DataString()), &d) != nil || d.N == nil {
		t.Fatalf("got %+v, want pusher_internal:subscription_count", ev)
	}
	return *d.N
}

// awaitCount reads c's events until a subscription_count of want and
// returns how many subscription_count events that took.
func awaitCount(t *testing.T, c *fantest.Client, channel string, want int) int {
	t.Helper()
	for n := 1; ; n++ {
		ev, err := c.NextErr(10 * time.Second)
		if err != nil {
			t.Fatalf("no subscription_count %d on %s: %v", want, channel, err)
		}
		if ev.Channel != channel {
			t.Fatalf("event on %q while waiting on %q: %+v", ev.Channel, channel, ev)
		}
		if subCountOf(t, ev) == want {
			return n
		}
	}
}

// TestSubscriptionCount: with subscription_count on, subscribers get the
// channel's count on each change, a burst of changes is coalesced into
// few events, the HTTP API's subscription_count agrees with the last
// event, the webhook carries the same counts, and presence channels get
// none.
func TestSubscriptionCount(t *testing.T) {
	rc := &receiver{}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	cfg := fantest.Config()
	cfg.Apps[0].SubscriptionCount = true
	cfg.Apps[0].SubscriptionCountInterval = 200 * time.Millisecond
	cfg.Apps[0].Webhooks.URL = hs.URL
	cfg.Apps[0].Webhooks.BatchWait = 20 * time.Millisecond
	n := fantest.Start(t, cfg, nil)
	url := n.URL("app-key")

	first := fantest.Dial(t, url, nil)
	first.Subscribe("room")
	awaitCount(t, first, "room", 1)
	second := fantest.Dial(t, url, nil)
	second.Subscribe("room")
	awaitCount(t, first, "room", 2)
	// The newcomer is a subscriber when the event goes out: it gets it too.
	awaitCount(t, second, "room", 2)

	// A burst of 30 joins (connected first, then subscribing at once):
	// far fewer than 30 events, the last one exact.
	const burst = 30
	var others []*fantest.Client
	for range burst {
		others = append(others, fantest.Dial(t, url, nil))
	}
	start := time.Now()
	for _, c := range others {
		c.Send("pusher:subscribe", map[string]string{"channel": "room"})
	}
	events := awaitCount(t, first, "room", 2+burst)
	took := time.Since(start)
	t.Logf("%d joins: %d subscription_count events in %v", burst, events, took)
	if limit := int(took/cfg.Apps[0].SubscriptionCountInterval) + 2; events > limit || events >= burst {
		t.Errorf("%d subscription_count events for %d joins in %v: want at most one per interval (%d)", events, burst, took, limit)
	}
	if got := channelSubCount(t, n, "room"); got != 2+burst {
		t.Errorf("HTTP API subscription_count %d, want %d", got, 2+burst)
	}

	// Leaves count too, down to the last subscriber.
	for _, c := range others {
		c.Conn.Close()
	}
	second.Send("pusher:unsubscribe", map[string]string{"channel": "room"})
	awaitCount(t, first, "room", 1)
	if got := channelSubCount(t, n, "room"); got != 1 {
		t.Errorf("HTTP API subscription_count %d after the leaves, want 1", got)
	}

	// The webhook saw the counts, and ends on the last one.
	deadline := time.Now().Add(10 * time.Second)
	for lastWebhookCount(rc, "room") != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := lastWebhookCount(rc, "room"); got != 1 {
		t.Errorf("last subscription_count webhook %d, want 1", got)
	}
	if k := rc.count("subscription_count", "room"); k < 3 || k > events+4 {
		t.Errorf("%d subscription_count webhooks", k)
	}

	// Presence channels are left out, as on Pusher. A join of a public
	// channel after the presence join proves a pass of the counter went
	// by (its count arrives); then a marker on the presence channel
	// arrives with nothing before it.
	presence := fantest.Dial(t, url, nil)
	data := `{"user_id":"u"}`
	presence.Send("pusher:subscribe", map[string]string{"channel": "presence-x", "channel_data": data,
		"auth": auth.SignChannel("app-key", "app-secret", presence.SocketID, "presence-x", data)})
	presence.Expect("pusher_internal:subscription_succeeded")
	presence.Subscribe("probe")
	awaitCount(t, presence, "probe", 1)
	if st, body := n.Publish(t, cfg.Apps[0], "presence-x", "marker", "m"); st != 200 {
		t.Fatalf("publish: %d %s", st, body)
	}
	if ev := presence.Next(); ev.Event != "marker" {
		t.Fatalf("on a presence channel: %+v before the marker", ev)
	}
}

// TestSubscriptionCountOff: an app without it gets no such event, while
// another app of the node (on) does.
func TestSubscriptionCountOff(t *testing.T) {
	cfg := fantest.Config()
	on := cfg.Apps[0]
	on.ID, on.Key, on.Secret = "on", "on-key", "on-secret"
	on.SubscriptionCount = true
	cfg.Apps = append(cfg.Apps, on)
	n := fantest.Start(t, cfg, nil)
	a := fantest.Dial(t, n.URL("app-key"), nil)
	a.Subscribe("room")
	b := fantest.Dial(t, n.URL("app-key"), nil)
	b.Subscribe("room")
	probe := fantest.Dial(t, n.URL("on-key"), nil)
	probe.Subscribe("room")
	awaitCount(t, probe, "room", 1) // a pass of the counter went by
	if st, body := n.Publish(t, cfg.Apps[0], "room", "marker", "m"); st != 200 {
		t.Fatalf("publish: %d %s", st, body)
	}
	if ev := a.Next(); ev.Event != "marker" {
		t.Fatalf("got %+v before the marker", ev)
	}
}

func channelSubCount(t *testing.T, n *fantest.Node, channel string) int {
	t.Helper()
	app := n.Cfg.Apps[0]
	st, body := n.API(t, app, "GET", "/apps/"+app.ID+"/channels/"+channel, url.Values{"info": {"subscription_count"}}, nil)
	var r struct {
		N int `json:"subscription_count"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &r) != nil {
		t.Fatalf("channel info: %d %s", st, body)
	}
	return r.N
}

func lastWebhookCount(rc *receiver, channel string) int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for i := len(rc.events) - 1; i >= 0; i-- {
		if e := rc.events[i]; e.Name == "subscription_count" && e.Channel == channel && e.SubscriptionCount != nil {
			return *e.SubscriptionCount
		}
	}
	return -1
}
