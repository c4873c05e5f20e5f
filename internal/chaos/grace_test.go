package chaos

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The webhook grace across a node's exit, over a real Redis with two real
// `fanout serve` processes and a real receiver. Pusher holds
// member_removed and channel_vacated for a few seconds and sends neither
// when the user is back within them
// (https://docs.bird.com/pusher/channels/channels/webhooks/why-is-my-server-not-receiving-webhooks-channels):
// held departures are kept in Redis with their deadline, so that neither
// a node's crash nor its drain decides them.

// graceWindow is the server's default webhooks.grace (Pusher's 3 s).
const graceWindow = 3 * time.Second

const (
	gracePresence = "presence-grace"
	gracePublic   = "grace-news"
	graceUser     = "alice"
)

// graceCluster starts a Redis, a receiver and two nodes with webhooks.
func graceCluster(t *testing.T) (*Redis, *Hooks, *Node, *Node) {
	rd := StartRedis(t)
	hooks := StartHooks(t)
	opts := ServeOptions{RedisURL: rd.URL(), NodeTTL: 3 * time.Second, WebhookURL: hooks.URL, Drain: time.Second}
	return rd, hooks, Serve(t, opts), Serve(t, opts)
}

// graceJoin dials n and subscribes to the presence and public channel,
// then waits for the webhooks of that first arrival.
func graceJoin(t *testing.T, n *Node, hooks *Hooks) *Client {
	t.Helper()
	c := graceDial(t, n)
	if _, ok := Eventually(10*time.Second, func() bool {
		return hooks.count("member_added", gracePresence, graceUser) == 1 && hooks.count("channel_occupied", gracePublic, "") == 1
	}); !ok {
		t.Fatal("no member_added and channel_occupied for the first arrival")
	}
	return c
}

// graceDial dials n and subscribes the user to the presence and public
// channel.
func graceDial(t *testing.T, n *Node) *Client {
	t.Helper()
	c, err := Dial(n.URL(), nil, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	for _, ch := range []string{gracePresence, gracePublic} {
		if err := c.Subscribe(ch, graceUser, 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// graceLeft waits until the other node's directory has no member and no
// channel of the client left, and until the three departures (the member,
// both channels) are kept in Redis; old code keeps none, so that last wait
// is bounded and not an error here.
func graceLeft(t *testing.T, rd *Redis, other *Node) {
	t.Helper()
	if _, ok := Eventually(10*time.Second, func() bool {
		users, err := other.Users(gracePresence)
		chans, err2 := other.Channels("")
		_, pres := chans[gracePresence]
		_, pub := chans[gracePublic]
		return err == nil && err2 == nil && len(users) == 0 && !pres && !pub
	}); !ok {
		t.Fatal("the leave never reached the directory")
	}
	if _, ok := Eventually(2*time.Second, func() bool { return keptDepartures(rd) == 3 }); !ok {
		t.Logf("Redis keeps %d departures, want 3", keptDepartures(rd))
	}
}

// keptDepartures is the size of the cluster's set of held departures.
func keptDepartures(rd *Redis) int {
	s, err := rd.Do("ZCARD", "fanout:held")
	if err != nil || len(s) < 2 {
		return -1
	}
	n, _ := strconv.Atoi(s[1:])
	return n
}

// graceMarker subscribes to and leaves a channel of its own on n and waits
// for its held channel_vacated: a departure n kept after every departure
// of the scenario, so its webhook comes after theirs have been decided.
func graceMarker(t *testing.T, n *Node, hooks *Hooks, name string) {
	t.Helper()
	c, err := Dial(n.URL(), nil, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(name, "", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	_ = c.Send("pusher:unsubscribe", map[string]string{"channel": name})
	if _, ok := Eventually(20*time.Second, func() bool { return hooks.count("channel_vacated", name, "") == 1 }); !ok {
		t.Fatalf("the marker %s was never vacated", name)
	}
}

// wantDepartures checks exactly want of each departure webhook and, when
// some are wanted, none sooner than the grace after left.
func wantDepartures(t *testing.T, hooks *Hooks, want int, left time.Time) {
	t.Helper()
	for _, w := range []struct{ name, channel, user string }{
		{"member_removed", gracePresence, graceUser}, {"channel_vacated", gracePresence, ""}, {"channel_vacated", gracePublic, ""},
	} {
		if got := hooks.count(w.name, w.channel, w.user); got != want {
			t.Errorf("%d %s webhooks for %s %s, want %d", got, w.name, w.channel, w.user, want)
		}
		if h, ok := hooks.Find(w.name, w.channel, w.user); ok && want > 0 && h.At.Sub(left) < graceWindow {
			t.Errorf("%s for %s came %v after the leave, before the grace (%v) ended", w.name, w.channel, h.At.Sub(left).Round(time.Millisecond), graceWindow)
		}
	}
}

// TestWebhookGraceNodeKilled: a member leaves node A, which is SIGKILLed
// within the grace. Node B sends exactly one member_removed and one
// channel_vacated per channel, after the grace.
func TestWebhookGraceNodeKilled(t *testing.T) {
	rd, hooks, a, b, left := graceLeave(t)
	a.Kill()
	if _, ok := Eventually(20*time.Second, func() bool { return departuresSent(hooks) }); !ok {
		t.Fatalf("A was killed within the grace: member_removed and channel_vacated never sent (%d kept in Redis)", keptDepartures(rd))
	}
	t.Logf("departures of the killed node sent %v after the leave", time.Since(left).Round(time.Millisecond))
	graceMarker(t, b, hooks, "grace-marker-killed")
	wantDepartures(t, hooks, 1, left)
}

// graceLeave starts the cluster; the member joins node A and leaves.
func graceLeave(t *testing.T) (rd *Redis, hooks *Hooks, a, b *Node, left time.Time) {
	rd, hooks, a, b = graceCluster(t)
	c := graceJoin(t, a, hooks)
	left = time.Now()
	c.Close()
	graceLeft(t, rd, b)
	return rd, hooks, a, b, left
}

// departuresSent reports whether the member's and both channels'
// departure webhooks have arrived.
func departuresSent(hooks *Hooks) bool {
	return hooks.count("member_removed", gracePresence, graceUser) > 0 && hooks.count("channel_vacated", gracePresence, "") > 0 &&
		hooks.count("channel_vacated", gracePublic, "") > 0
}

// TestWebhookGraceDrainReconnect: node A drains (SIGTERM) and its client,
// closed with 4200, joins node B within the grace: the backend hears
// nothing of it, neither the departure nor the return.
func TestWebhookGraceDrainReconnect(t *testing.T) {
	rd, hooks, a, b := graceCluster(t)
	c := graceJoin(t, a, hooks)
	a.Term()
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("the drain never closed the client")
	}
	if code := c.CloseCode(); code != 4200 {
		t.Fatalf("closed with %d, want 4200", code)
	}
	c2 := graceDial(t, b) // the reconnect, within the grace
	if err := a.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	// A posted what it held before it exited; B's marker is held after
	// the return, so once it is sent every departure kept before it has
	// been decided, on A or on B.
	graceMarker(t, b, hooks, "grace-marker-drain")
	if _, ok := Eventually(10*time.Second, func() bool { return keptDepartures(rd) == 0 }); !ok {
		t.Errorf("%d departures still kept in Redis", keptDepartures(rd))
	}
	wantDepartures(t, hooks, 0, time.Now())
	for _, w := range []struct{ name, channel, user string }{
		{"member_added", gracePresence, graceUser}, {"channel_occupied", gracePresence, ""}, {"channel_occupied", gracePublic, ""},
	} {
		if got := hooks.count(w.name, w.channel, w.user); got != 1 {
			t.Errorf("%d %s webhooks for %s %s, want 1 (the first arrival, not the reconnect)", got, w.name, w.channel, w.user)
		}
	}
	c2.Close()
}

// TestWebhookGraceLeaveThenStop: a member leaves node A, which is
// SIGTERMed within the grace. Exactly one of each departure webhook, no
// sooner than the grace: A leaves them to B instead of cutting the grace
// short.
func TestWebhookGraceLeaveThenStop(t *testing.T) {
	_, hooks, a, b, left := graceLeave(t)
	a.Signal(syscall.SIGTERM)
	if err := a.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, ok := Eventually(20*time.Second, func() bool { return departuresSent(hooks) }); !ok {
		t.Fatal("member_removed and channel_vacated never sent")
	}
	graceMarker(t, b, hooks, "grace-marker-stop")
	wantDepartures(t, hooks, 1, left)
}

// count is how many name webhooks arrived for channel and user (""
// matches only an event without a user).
func (h *Hooks) count(name, channel, user string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, e := range h.events {
		if e.Name == name && e.Channel == channel && e.UserID == user {
			n++
		}
	}
	return n
}

// TestWebhookGraceLastNodeStops: the only node over Redis stops within
// the grace: nobody would settle what it left, so it settles its held
// departures at once and says so in its log. Their webhooks wait in the
// durable queue in Redis if the node had no time to post them; a node
// started afterwards delivers them. Each arrives exactly once.
func TestWebhookGraceLastNodeStops(t *testing.T) {
	rd := StartRedis(t)
	hooks := StartHooks(t)
	opts := ServeOptions{RedisURL: rd.URL(), WebhookURL: hooks.URL}
	a := Serve(t, opts)
	c := graceJoin(t, a, hooks)
	c.Close()
	graceLeft(t, rd, a)
	a.Signal(syscall.SIGTERM)
	if err := a.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(a.Output(), "settling held departures at once") {
		t.Errorf("the last node did not log that it settles its held departures at once:\n%s", a.Output())
	}
	b := Serve(t, opts)
	if _, ok := Eventually(20*time.Second, func() bool { return departuresSent(hooks) }); !ok {
		t.Fatal("member_removed and channel_vacated never sent")
	}
	graceMarker(t, b, hooks, "grace-marker-last")
	wantDepartures(t, hooks, 1, time.Time{})
}
