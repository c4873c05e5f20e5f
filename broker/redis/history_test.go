package redis_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// startHistoryNode is startNode with history for orders-* (1,000 events)
// and short-* (5 events).
func startHistoryNode(t *testing.T, redisURL string, cluster bool) node {
	t.Helper()
	b, err := redis.New(redis.Options{URL: redisURL, Cluster: cluster, Prefix: "t"})
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	cfg := fantest.Config()
	cfg.Apps[0].History = []config.History{
		{Channels: "orders-*", Size: 1000, TTL: time.Minute},
		{Channels: "short-*", Size: 5, TTL: time.Minute},
	}
	return node{Node: fantest.Start(t, cfg, b), b: b, app: cfg.Apps[0]}
}

type subscribed struct {
	Recovered bool            `json:"recovered"`
	Position  broker.Position `json:"position"`
}

// recoverOn subscribes c with an optional recover position; it returns
// the events before subscription_succeeded and that event's data.
func recoverOn(t *testing.T, c *fantest.Client, channel string, from *broker.Position) ([]fantest.Event, subscribed) {
	t.Helper()
	evs, ev := c.SubscribeRecover(channel, from)
	var s subscribed
	if err := json.Unmarshal([]byte(ev.DataString()), &s); err != nil || s.Position.Epoch == "" {
		t.Fatalf("subscription_succeeded %s: %v", ev.Data, err)
	}
	return evs, s
}

func publishRange(t *testing.T, n node, channel string, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		if st, body := n.Publish(t, n.app, channel, "e", fmt.Sprint(i)); st != 200 {
			t.Errorf("publish %d: %d %s", i, st, body)
			return
		}
	}
}

// expectOffsets reads events e with offsets from..to, in order, once each.
func expectOffsets(t *testing.T, c *fantest.Client, epoch string, from, to int) {
	t.Helper()
	for i := from; i <= to; i++ {
		ev := nextEvent(t, c, "e")
		if ev.Position == nil || *ev.Position != (broker.Position{Epoch: epoch, Offset: uint64(i)}) || ev.DataString() != fmt.Sprint(i) {
			t.Fatalf("want offset %d, got %s at %+v", i, ev.Data, ev.Position)
		}
	}
}

func TestRedisHistoryStandalone(t *testing.T) {
	srv := startRedis(t)
	scenarioHistory(t, srv.URL(), false)
	// The ttl is on both keys, and they are gone after it.
	for _, k := range []string{"{t:c:app-id:orders-1}:h", "{t:c:app-id:orders-1}:m"} {
		if r, err := srv.do("PTTL", k); err != nil || r == ":-1" || r == ":-2" {
			t.Errorf("PTTL %s: %q %v, want a ttl", k, r, err)
		}
	}
}

func TestRedisHistoryCluster(t *testing.T) {
	nodes := startCluster(t)
	scenarioHistory(t, nodes[0].URL(), true)
}

func scenarioHistory(t *testing.T, u string, cluster bool) {
	a, b := startHistoryNode(t, u, cluster), startHistoryNode(t, u, cluster)
	c := fantest.Dial(t, a.URL(a.app.Key), nil)
	_, s := recoverOn(t, c, "orders-1", nil)
	epoch := s.Position.Epoch
	if s.Recovered || s.Position.Offset != 0 {
		t.Fatalf("first subscribe: %+v", s)
	}
	// Published on the other node, positioned once, delivered here.
	publishRange(t, b, "orders-1", 1, 3)
	expectOffsets(t, c, epoch, 1, 3)

	// Away while 100 events go out from both nodes; back on the other
	// node, recovering from 3.
	c.Conn.Close()
	publishRange(t, a, "orders-1", 4, 53)
	publishRange(t, b, "orders-1", 54, 103)
	c2 := fantest.Dial(t, b.URL(b.app.Key), nil)
	replay, s := recoverOn(t, c2, "orders-1", &broker.Position{Epoch: epoch, Offset: 3})
	if !s.Recovered || s.Position != (broker.Position{Epoch: epoch, Offset: 103}) || len(replay) != 100 {
		t.Fatalf("recover on the other node: %+v with %d events", s, len(replay))
	}
	for i, ev := range replay {
		if ev.Position.Offset != uint64(i+4) || ev.DataString() != fmt.Sprint(i+4) {
			t.Fatalf("replay %d: %s at %+v", i, ev.Data, ev.Position)
		}
	}

	// Both nodes publishing at once: one offset per event, no gap.
	var wg sync.WaitGroup
	for _, n := range []node{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				if st, _ := n.Publish(t, n.app, "orders-1", "x", `"y"`); st != 200 {
					t.Errorf("concurrent publish: %d", st)
				}
			}
		}()
	}
	wg.Wait()
	for i := 104; i <= 163; i++ {
		ev := nextEvent(t, c2, "x")
		if ev.Position.Offset != uint64(i) {
			t.Fatalf("concurrent publishes: offset %d, want %d", ev.Position.Offset, i)
		}
	}

	// Trimmed past the position: told so, nothing replayed.
	_, s = recoverOn(t, fantest.Dial(t, a.URL(a.app.Key), nil), "short-1", nil)
	publishRange(t, a, "short-1", 1, 10)
	replay, s2 := recoverOn(t, fantest.Dial(t, b.URL(b.app.Key), nil), "short-1", &broker.Position{Epoch: s.Position.Epoch, Offset: 2})
	if s2.Recovered || len(replay) != 0 || s2.Position.Offset != 10 {
		t.Fatalf("recover past the trim: %+v with %d events", s2, len(replay))
	}
	// Trimming is approximate (MAXLEN ~), so Redis still holds offsets
	// 1..10; the read counts only the newest 5 as kept: from 4 is one
	// past the trim, from 5 is exactly the 5 kept.
	replay, s2 = recoverOn(t, fantest.Dial(t, b.URL(b.app.Key), nil), "short-1", &broker.Position{Epoch: s.Position.Epoch, Offset: 4})
	if s2.Recovered || len(replay) != 0 {
		t.Fatalf("recover one past the trim: %+v with %d events", s2, len(replay))
	}
	replay, s2 = recoverOn(t, fantest.Dial(t, b.URL(b.app.Key), nil), "short-1", &broker.Position{Epoch: s.Position.Epoch, Offset: 5})
	if !s2.Recovered || len(replay) != 5 || replay[0].Position.Offset != 6 {
		t.Fatalf("recover at the trim: %+v with %d events", s2, len(replay))
	}

	// The history endpoint of either node reads the same stream.
	q := url.Values{"direction": {"backward"}, "limit": {"2"}}
	st, body := b.API(t, b.app, "GET", "/apps/"+b.app.ID+"/channels/short-1/history", q, nil)
	var out struct {
		Events []struct {
			Data     string
			Position broker.Position
		}
		Position broker.Position
	}
	if err := json.Unmarshal([]byte(body), &out); st != 200 || err != nil || len(out.Events) != 2 ||
		out.Events[0].Data != "10" || out.Events[1].Position.Offset != 9 || out.Position.Offset != 10 {
		t.Fatalf("history endpoint: %d %s", st, body)
	}
	st, body = b.API(t, b.app, "GET", "/apps/"+b.app.ID+"/channels/short-1/history", nil, nil)
	if err := json.Unmarshal([]byte(body), &out); st != 200 || err != nil || len(out.Events) != 5 || out.Events[0].Position.Offset != 6 {
		t.Fatalf("history endpoint, forward from the oldest kept: %d %s", st, body)
	}
}

// TestRecoveryBurstIsQueued: a reconnect storm's worth of subscribes with
// recovery arrives at once (every client sends its subscribe before any
// is answered), each needing a history read from Redis. They wait their
// turn for the node's few pool goroutines instead of being refused: every
// client gets its missed events and recovered true, none is closed.
func TestRecoveryBurstIsQueued(t *testing.T) {
	srv := startRedis(t)
	n := startHistoryNode(t, srv.URL(), false)
	c0 := fantest.Dial(t, n.URL(n.app.Key), nil)
	_, s := recoverOn(t, c0, "orders-burst", nil)
	publishRange(t, n, "orders-burst", 1, 20)
	expectOffsets(t, c0, s.Position.Epoch, 1, 20)

	const clients = 400
	from := broker.Position{Epoch: s.Position.Epoch, Offset: 10}
	cs := make([]*fantest.Client, clients)
	for i := range cs {
		cs[i] = fantest.Dial(t, n.URL(n.app.Key), nil)
	}
	for _, c := range cs {
		c.Send("pusher:subscribe", map[string]any{"channel": "orders-burst", "recover": from})
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for want := uint64(11); ; {
				ev, err := c.NextErr(30 * time.Second)
				switch {
				case err != nil:
					errs <- fmt.Errorf("client %d, waiting for offset %d: %v", i, want, err)
					return
				case ev.Event == "pusher:error":
					errs <- fmt.Errorf("client %d: refused: %s", i, ev.Data)
					return
				case ev.Event == "pusher_internal:subscription_succeeded":
					var got subscribed
					if json.Unmarshal([]byte(ev.DataString()), &got) != nil || !got.Recovered || want != 21 {
						errs <- fmt.Errorf("client %d: subscription_succeeded %s after offset %d", i, ev.Data, want-1)
					}
					return
				case ev.Position == nil || ev.Position.Offset != want:
					errs <- fmt.Errorf("client %d: got %s at %+v, want offset %d", i, ev.Data, ev.Position, want)
					return
				}
				want++
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if failed++; failed <= 5 {
			t.Error(err)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d recovering subscribers failed", failed, clients)
	}
}
