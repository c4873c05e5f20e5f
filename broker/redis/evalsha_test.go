package redis_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// TestScriptCacheFlushedPublishesGoOn: publications go as EVALSHA; once
// Redis forgot the scripts (SCRIPT FLUSH, as after a restart or a
// failover) the next ones, plain and with history, are sent again with
// EVAL, accepted and delivered in order, without a refusal.
func TestScriptCacheFlushedPublishesGoOn(t *testing.T) {
	srv := startRedis(t)
	for _, c := range []struct {
		name    string
		history bool
	}{{"plain", false}, {"history", true}} {
		t.Run(c.name, func(t *testing.T) {
			h := &seenHandler{}
			sub := startBroker(t, redis.Options{URL: srv.URL(), Prefix: c.name}, h)
			var ph broker.Handler = &countHandler{}
			if c.history {
				ph = &historyHandler{}
			}
			pub := startBroker(t, redis.Options{URL: srv.URL(), Prefix: c.name}, ph)
			sub.Subscribe("app", "x")
			eventually(t, 5*time.Second, "listening", func() bool { return sub.Listening("app", "x") })
			var want []string
			for i, flush := range []bool{false, true, false, true} {
				if flush {
					if r, err := srv.do("SCRIPT", "FLUSH"); err != nil || r != "+OK" {
						t.Fatalf("SCRIPT FLUSH: %q %v", r, err)
					}
				}
				d := string(rune('a' + i))
				if err := publishData(pub, "x", d); err != nil {
					t.Fatalf("publish %d (after flush: %v): %v", i, flush, err)
				}
				want = append(want, d)
			}
			eventually(t, 5*time.Second, "every event delivered", func() bool { return len(h.seen()) >= len(want) })
			if got := h.seen(); !slices.Equal(got, want) {
				t.Fatalf("delivered %v, want %v", got, want)
			}
		})
	}
}

// TestBurstRefusesOnlyItsHeldChannel: the publications of one Publish
// call go in one script call; one whose channel a crashed node still
// holds is refused (and not sent) while the others go out, in order.
func TestBurstRefusesOnlyItsHeldChannel(t *testing.T) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL()}
	h := &seenHandler{}
	sub := startBroker(t, o, h)
	dead := startBroker(t, o, &countHandler{})
	pub := startBroker(t, o, &countHandler{})
	sub.Subscribe("app", "x")
	sub.Subscribe("app", "y")
	dead.Subscribe("app", "y")
	eventually(t, 5*time.Second, "listed", func() bool {
		return listenedBy(t, srv, "x") == ":1" && listenedBy(t, srv, "y") == ":2"
	})
	dead.Crash()
	err := pub.Publish(context.Background(),
		broker.Publication{App: "app", Channel: "x", Event: "e", Data: "x1"},
		broker.Publication{App: "app", Channel: "y", Event: "e", Data: "y1"},
		broker.Publication{App: "app", Channel: "x", Event: "e", Data: "x2"})
	if !errors.Is(err, broker.ErrUnavailable) {
		t.Fatalf("burst with a held channel: %v, want unavailable", err)
	}
	eventually(t, 5*time.Second, "x's events delivered", func() bool { return len(h.seen()) >= 2 })
	// After the crash is detected, y accepts again; its refused event
	// never arrives, the next does.
	eventually(t, 10*time.Second, "y accepted again", func() bool { return publishData(pub, "y", "y2") == nil })
	eventually(t, 5*time.Second, "y2 delivered", func() bool { return slices.Contains(h.seen(), "y2") })
	if got := h.seen(); !slices.Equal(got, []string{"x1", "x2", "y2"}) {
		t.Fatalf("delivered %v, want [x1 x2 y2]", got)
	}
}
