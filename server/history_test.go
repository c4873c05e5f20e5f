package server_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// historyNode runs a node whose app keeps 1,000 events of orders-* and 5
// of short-*.
func historyNode(t *testing.T) (*fantest.Node, config.App) {
	cfg := fantest.Config()
	cfg.Apps[0].History = []config.History{
		{Channels: "orders-*", Size: 1000, TTL: time.Minute},
		{Channels: "short-*", Size: 5, TTL: time.Minute},
	}
	n := fantest.Start(t, cfg, nil)
	return n, cfg.Apps[0]
}

// succeeded is the data of subscription_succeeded on a history channel.
type succeeded struct {
	Recovered *bool            `json:"recovered"`
	Position  *broker.Position `json:"position"`
	Presence  json.RawMessage  `json:"presence"`
}

func readSucceeded(t *testing.T, ev fantest.Event) succeeded {
	t.Helper()
	var s succeeded
	if err := json.Unmarshal([]byte(ev.DataString()), &s); err != nil || s.Recovered == nil || s.Position == nil {
		t.Fatalf("subscription_succeeded data %s: want recovered and position (%v)", ev.Data, err)
	}
	return s
}

// subscribeRecover subscribes with an optional recover position and
// returns the events before subscription_succeeded and its data.
func subscribeRecover(t *testing.T, c *fantest.Client, channel string, from *broker.Position) ([]fantest.Event, succeeded) {
	t.Helper()
	replay, ev := c.SubscribeRecover(channel, from)
	return replay, readSucceeded(t, ev)
}

func publishN(t *testing.T, n *fantest.Node, app config.App, channel string, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if st, body := n.Publish(t, app, channel, "e", fmt.Sprint(i)); st != 200 {
			t.Fatalf("publish %d: %d %s", i, st, body)
		}
	}
}

func TestRecoveryReplaysMissedEventsInOrder(t *testing.T) {
	n, app := historyNode(t)
	a := fantest.Dial(t, n.URL(app.Key), nil)
	replay, s := subscribeRecover(t, a, "orders-1", nil)
	if len(replay) != 0 || *s.Recovered || s.Position.Epoch == "" || s.Position.Offset != 0 {
		t.Fatalf("first subscribe: replay %v, %+v %+v", replay, *s.Recovered, *s.Position)
	}
	epoch := s.Position.Epoch
	publishN(t, n, app, "orders-1", 1, 3)
	var last broker.Position
	for i := 1; i <= 3; i++ {
		ev := a.Expect("e")
		if ev.Position == nil || *ev.Position != (broker.Position{Epoch: epoch, Offset: uint64(i)}) || ev.DataString() != fmt.Sprint(i) {
			t.Fatalf("live event %d: %s at %+v", i, ev.Data, ev.Position)
		}
		last = *ev.Position
	}
	a.Conn.Close()
	publishN(t, n, app, "orders-1", 4, 8)

	b := fantest.Dial(t, n.URL(app.Key), nil)
	replay, s = subscribeRecover(t, b, "orders-1", &last)
	if !*s.Recovered || *s.Position != (broker.Position{Epoch: epoch, Offset: 8}) {
		t.Fatalf("recover from 3: recovered %v at %+v", *s.Recovered, *s.Position)
	}
	if len(replay) != 5 {
		t.Fatalf("replayed %d events, want 5: %v", len(replay), replay)
	}
	for i, ev := range replay {
		if ev.Event != "e" || ev.Channel != "orders-1" || ev.DataString() != fmt.Sprint(i+4) || ev.Position.Offset != uint64(i+4) {
			t.Fatalf("replay %d: %+v", i, ev)
		}
	}
	publishN(t, n, app, "orders-1", 9, 9)
	if ev := b.Expect("e"); ev.Position.Offset != 9 {
		t.Fatalf("live after recovery at %+v", ev.Position)
	}
	m := scrape(t, n)
	for name, want := range map[string]float64{
		`fanout_history_appends_total{app="app-id"}`:                       9,
		`fanout_history_recoveries_asked_total{app="app-id"}`:              1,
		`fanout_history_recoveries_total{app="app-id",result="recovered"}`: 1,
		`fanout_history_recoveries_total{app="app-id",result="failed"}`:    0,
	} {
		if got, ok := m[name]; !ok || got != want {
			t.Errorf("%s = %v (served %v), want %v", name, got, ok, want)
		}
	}
}

func TestRecoveryFailsWhenItCannotBeProven(t *testing.T) {
	n, app := historyNode(t)
	c := fantest.Dial(t, n.URL(app.Key), nil)
	_, s := subscribeRecover(t, c, "short-1", nil)
	epoch := s.Position.Epoch
	publishN(t, n, app, "short-1", 1, 10) // only 6..10 are kept
	for _, from := range []broker.Position{
		{Epoch: epoch, Offset: 2},           // trimmed past it
		{Epoch: "not-the-epoch", Offset: 9}, // another generation
		{Epoch: epoch, Offset: 11},          // ahead of the stream
	} {
		c := fantest.Dial(t, n.URL(app.Key), nil)
		replay, s := subscribeRecover(t, c, "short-1", &from)
		if *s.Recovered || len(replay) != 0 || *s.Position != (broker.Position{Epoch: epoch, Offset: 10}) {
			t.Errorf("recover from %+v: recovered %v, %d events, at %+v", from, *s.Recovered, len(replay), *s.Position)
		}
	}
	// The oldest kept event's predecessor is still provable.
	c = fantest.Dial(t, n.URL(app.Key), nil)
	replay, s := subscribeRecover(t, c, "short-1", &broker.Position{Epoch: epoch, Offset: 5})
	if !*s.Recovered || len(replay) != 5 {
		t.Fatalf("recover from 5: recovered %v, %d events", *s.Recovered, len(replay))
	}
}

// While events are published back to back, subscribers recover from an
// older position: each must get every event after it exactly once, in
// order, whether it came from the history or live.
func TestRecoveryRaceWithLiveEvents(t *testing.T) {
	n, app := historyNode(t)
	const before, total = 20, 400
	c := fantest.Dial(t, n.URL(app.Key), nil)
	_, s := subscribeRecover(t, c, "orders-race", nil)
	from := broker.Position{Epoch: s.Position.Epoch, Offset: before}
	publishN(t, n, app, "orders-race", 1, before)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); publishN(t, n, app, "orders-race", before+1, total) }()
	const clients = 8
	errs := make(chan error, clients)
	for k := 0; k < clients; k++ {
		time.Sleep(time.Duration(k) * 5 * time.Millisecond) // spread over the publishing
		c := fantest.Dial(t, n.URL(app.Key), nil)
		c.Send("pusher:subscribe", map[string]any{"channel": "orders-race", "recover": from})
		wg.Add(1)
		go func() {
			defer wg.Done()
			next, sawSucceeded := uint64(before+1), false
			for next <= total {
				ev, err := c.NextErr(10 * time.Second)
				if err != nil {
					errs <- fmt.Errorf("waiting for %d: %v", next, err)
					return
				}
				if ev.Event == "pusher_internal:subscription_succeeded" {
					sawSucceeded = true
					continue
				}
				if ev.Position == nil || ev.Position.Offset != next || ev.DataString() != fmt.Sprint(next) {
					errs <- fmt.Errorf("got %s at %+v, want %d", ev.Data, ev.Position, next)
					return
				}
				next++
			}
			if sawSucceeded {
				return
			}
			// A replay that reached the last event comes before
			// subscription_succeeded, which must follow it.
			ev, err := c.NextErr(10 * time.Second)
			if err != nil || ev.Event != "pusher_internal:subscription_succeeded" {
				errs <- fmt.Errorf("after event %d: want subscription_succeeded, got %v %v", total, ev, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestChannelWithoutHistoryUnchanged(t *testing.T) {
	n, app := historyNode(t)
	c := fantest.Dial(t, n.URL(app.Key), nil)
	c.Send("pusher:subscribe", map[string]any{"channel": "news", "recover": map[string]any{"epoch": "x", "offset": 1}})
	ev := c.Expect("pusher_internal:subscription_succeeded")
	if string(ev.Data) != `"{}"` {
		t.Fatalf("subscription_succeeded data %s, want \"{}\"", ev.Data)
	}
	publishN(t, n, app, "news", 1, 1)
	if ev := c.Expect("e"); ev.Position != nil {
		t.Fatalf("event of a channel without history carries %+v", ev.Position)
	}
}

func TestPresenceSubscriptionKeepsMembersWithRecovery(t *testing.T) {
	cfg := fantest.Config()
	cfg.Apps[0].History = []config.History{{Channels: "presence-*", Size: 10, TTL: time.Minute}}
	n := fantest.Start(t, cfg, nil)
	app := cfg.Apps[0]
	c := fantest.Dial(t, n.URL(app.Key), nil)
	data := `{"user_id":"u1"}`
	c.Send("pusher:subscribe", map[string]any{"channel": "presence-room", "channel_data": data,
		"auth": auth.SignChannel(app.Key, app.Secret, c.SocketID, "presence-room", data)})
	s := readSucceeded(t, c.Expect("pusher_internal:subscription_succeeded"))
	if len(s.Presence) == 0 || *s.Recovered || s.Position.Epoch == "" {
		t.Fatalf("presence subscription_succeeded: %+v", s)
	}
}

func TestHistoryEndpoint(t *testing.T) {
	n, app := historyNode(t)
	publishN(t, n, app, "short-h", 1, 7) // keeps 3..7
	get := func(channel string, q url.Values) (int, map[string]json.RawMessage) {
		t.Helper()
		st, body := n.API(t, app, "GET", "/apps/"+app.ID+"/channels/"+channel+"/history", q, nil)
		var out map[string]json.RawMessage
		_ = json.Unmarshal([]byte(body), &out)
		return st, out
	}
	type ev struct {
		Event, Channel, Data string
		Position             broker.Position
	}
	events := func(raw json.RawMessage) string {
		var es []ev
		if err := json.Unmarshal(raw, &es); err != nil {
			t.Fatalf("events %s: %v", raw, err)
		}
		s := ""
		for _, e := range es {
			s += e.Data + ","
			if e.Event != "e" || e.Channel != "short-h" || e.Data != fmt.Sprint(e.Position.Offset) {
				t.Fatalf("event %+v", e)
			}
		}
		return s
	}
	st, out := get("short-h", nil)
	var pos broker.Position
	_ = json.Unmarshal(out["position"], &pos)
	if st != 200 || events(out["events"]) != "3,4,5,6,7," || pos.Offset != 7 {
		t.Fatalf("whole history: %d %v", st, out)
	}
	for q, want := range map[string]string{
		"direction=backward&limit=2":                   "7,6,",
		"since=" + pos.Epoch + ":4":                    "5,6,7,",
		"since=" + pos.Epoch + ":4&limit=1":            "5,",
		"since=" + pos.Epoch + ":5&direction=backward": "4,3,",
	} {
		v, _ := url.ParseQuery(q)
		if st, out := get("short-h", v); st != 200 || events(out["events"]) != want {
			t.Errorf("%s: %d %s, want %s", q, st, out["events"], want)
		}
	}
	if st, _ := get("news", nil); st != 404 {
		t.Errorf("channel without history: %d, want 404", st)
	}
	for _, q := range []string{"limit=0", "limit=x", "limit=1001", "since=nope", "since=e:-1", "since=e:5:6", "direction=up"} {
		v, _ := url.ParseQuery(q)
		if st, _ := get("short-h", v); st != 400 {
			t.Errorf("%s: %d, want 400", q, st)
		}
	}
}

// A recover position must carry both members: without its offset (or
// with a null one) it is malformed and recovery fails, rather than being
// read as offset 0 and replaying the whole stream as recovered; an
// explicit offset 0 (before the first event) is a real position.
func TestRecoverWithoutOffsetFails(t *testing.T) {
	n, app := historyNode(t)
	c := fantest.Dial(t, n.URL(app.Key), nil)
	_, s := subscribeRecover(t, c, "orders-2", nil)
	epoch := s.Position.Epoch
	publishN(t, n, app, "orders-2", 1, 3)
	for name, rec := range map[string]any{
		"no offset":   map[string]any{"epoch": epoch},
		"null offset": map[string]any{"epoch": epoch, "offset": nil},
		"no epoch":    map[string]any{"offset": 0},
	} {
		c := fantest.Dial(t, n.URL(app.Key), nil)
		c.Send("pusher:subscribe", map[string]any{"channel": "orders-2", "recover": rec})
		var replay int
		ev := c.Next()
		for ; ev.Event != "pusher_internal:subscription_succeeded"; ev = c.Next() {
			replay++
		}
		if s := readSucceeded(t, ev); *s.Recovered || replay != 0 {
			t.Errorf("%s: recovered %v after %d replayed events, want a failed recovery", name, *s.Recovered, replay)
		}
	}
	c = fantest.Dial(t, n.URL(app.Key), nil)
	replay, s := subscribeRecover(t, c, "orders-2", &broker.Position{Epoch: epoch, Offset: 0})
	if !*s.Recovered || len(replay) != 3 {
		t.Fatalf("offset 0: recovered %v with %d events, want true with 3", *s.Recovered, len(replay))
	}
}
