package redis_test

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/fanout/fanout/webhook"
)

// TestPresenceOnePath runs one presence scenario against a node on the
// memory broker (the local directory) and a node on a real Redis (the
// cluster-wide one): the server has a single presence and occupancy
// path, and both directories must give it the same answers.
func TestPresenceOnePath(t *testing.T) {
	for _, tc := range []struct {
		name   string
		broker func(t *testing.T) broker.Broker
	}{
		{"memory", func(*testing.T) broker.Broker { return broker.NewMemory() }},
		{"redis", func(t *testing.T) broker.Broker {
			b, err := redis.New(redis.Options{URL: startRedis(t).URL(), Prefix: "t"})
			if err != nil {
				t.Fatalf("redis.New: %v", err)
			}
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { scenarioOnePath(t, tc.broker(t)) })
	}
}

// scenarioOnePath: bob watches presence-room; alice joins on two
// connections (one member_added), leaves on one (no member_removed), then
// on the other (member_removed); the webhooks and the HTTP API's users,
// channel info and channel list agree at each step.
func scenarioOnePath(t *testing.T, b broker.Broker) {
	h := &hookLog{counts: map[webhook.Event]int{}}
	hs := httptest.NewServer(h)
	defer hs.Close()
	cfg := fantest.Config()
	cfg.Apps[0].Webhooks.URL = hs.URL
	cfg.Apps[0].Webhooks.BatchWait = 10 * time.Millisecond
	n := node{Node: fantest.Start(t, cfg, b), app: cfg.Apps[0]}
	const ch = "presence-room"
	hook := func(name, user string, want int) {
		t.Helper()
		eventually(t, 10*time.Second, name+" "+user+" webhook", func() bool { return h.count(name, ch, user) == want })
	}

	bob := fantest.Dial(t, n.URL("app-key"), nil)
	joinPresence(t, n, bob, ch, "bob")
	hook("channel_occupied", "", 1)
	alice1 := fantest.Dial(t, n.URL("app-key"), nil)
	if p := joinPresence(t, n, alice1, ch, "alice"); strings.Join(p.Presence.IDs, ",") != "alice,bob" || p.Presence.Count != 2 {
		t.Fatalf("alice's first connection sees %+v, want alice and bob", p.Presence)
	}
	expectMember(t, bob, "pusher_internal:member_added", "alice")
	hook("member_added", "alice", 1)
	alice2 := fantest.Dial(t, n.URL("app-key"), nil)
	if p := joinPresence(t, n, alice2, ch, "alice"); p.Presence.Count != 2 {
		t.Fatalf("alice's second connection sees %+v, want 2 members", p.Presence)
	}
	apiAgrees(t, n, "alice,bob", 3)

	// alice's first connection leaves: she is still there. carol's join
	// is the barrier: her member event and webhook come after any that
	// alice's leave caused.
	alice1.Send("pusher:unsubscribe", map[string]string{"channel": ch})
	apiAgrees(t, n, "alice,bob", 2)
	carol := fantest.Dial(t, n.URL("app-key"), nil)
	joinPresence(t, n, carol, ch, "carol")
	expectMember(t, bob, "pusher_internal:member_added", "carol")
	hook("member_added", "carol", 1)
	if got := h.count("member_removed", ch, "alice"); got != 0 {
		t.Fatalf("alice left one of two connections: %d member_removed webhooks, want 0", got)
	}
	if got := h.count("member_added", ch, "alice"); got != 1 {
		t.Fatalf("alice joined on two connections: %d member_added webhooks, want 1", got)
	}

	// Her last connection goes: member_removed, once.
	alice2.Conn.Close()
	expectMember(t, bob, "pusher_internal:member_removed", "alice")
	hook("member_removed", "alice", 1)
	apiAgrees(t, n, "bob,carol", 2)
	if got := h.count("channel_vacated", ch, ""); got != 0 {
		t.Fatalf("channel still occupied, yet %d channel_vacated webhooks", got)
	}

	// Everyone goes: channel_vacated, once, and the channel is unlisted.
	bob.Conn.Close()
	carol.Conn.Close()
	hook("channel_vacated", "", 1)
	for deadline := time.Now().Add(10 * time.Second); ; {
		ids, _, list := presenceAPI(t, n, ch)
		if ids == "" && !strings.Contains(list, ch) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("empty channel still reported: users %q, list %s", ids, list)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := h.count("channel_occupied", ch, ""); got != 1 {
		t.Fatalf("%d channel_occupied webhooks, want 1", got)
	}
}

// expectMember reads c's next member event and checks its name and user.
func expectMember(t *testing.T, c *fantest.Client, event, user string) {
	t.Helper()
	for range 50 {
		ev := c.Next()
		if !strings.HasPrefix(ev.Event, "pusher_internal:member_") {
			continue
		}
		var m struct {
			UserID string `json:"user_id"`
		}
		_ = json.Unmarshal([]byte(ev.DataString()), &m)
		if ev.Event != event || m.UserID != user {
			t.Fatalf("next member event %s %q, want %s %q", ev.Event, m.UserID, event, user)
		}
		return
	}
	t.Fatalf("no member event within 50 events, want %s %q", event, user)
}

// apiAgrees waits until the HTTP API reports presence-room with these
// users (sorted, comma-separated) and subscriptions, in the users list,
// the channel's info and the channel list.
func apiAgrees(t *testing.T, n node, users string, subs int) {
	t.Helper()
	const ch = "presence-room"
	userCount := `"user_count":` + strconv.Itoa(strings.Count(users, ",")+1)
	var got string
	for deadline := time.Now().Add(10 * time.Second); ; {
		ids, info, list := presenceAPI(t, n, ch)
		got = ids + " | " + info + " | " + list
		if ids == users && strings.Contains(info, `"occupied":true`) && strings.Contains(info, userCount) &&
			strings.Contains(info, `"subscription_count":`+strconv.Itoa(subs)) &&
			strings.Contains(list, `"`+ch+`":{`+userCount+`}`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("HTTP API says %s; want users %s, %d subscriptions", got, users, subs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// presenceAPI asks the HTTP API for a presence channel's user ids (sorted,
// comma-separated), its info and the list of presence channels.
func presenceAPI(t *testing.T, n node, ch string) (ids, info, list string) {
	t.Helper()
	var u struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	body := users(t, n, ch)
	if err := json.Unmarshal([]byte(body), &u); err != nil {
		t.Fatalf("users %q: %v", body, err)
	}
	var s []string
	for _, x := range u.Users {
		s = append(s, x.ID)
	}
	sort.Strings(s)
	_, info = n.API(t, n.app, "GET", "/apps/"+n.app.ID+"/channels/"+ch,
		url.Values{"info": {"user_count,subscription_count"}}, nil)
	_, list = n.API(t, n.app, "GET", "/apps/"+n.app.ID+"/channels",
		url.Values{"filter_by_prefix": {"presence-"}, "info": {"user_count"}}, nil)
	return strings.Join(s, ","), info, list
}
