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

// TestScriptCacheFlushedPublishesGoOn: publications with strict refusals
// go as EVALSHA; once
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
			sub := startBroker(t, redis.Options{URL: srv.URL(), Prefix: c.name, StrictRefusals: true}, h)
			var ph broker.Handler = &countHandler{}
			if c.history {
				ph = &historyHandler{}
			}
			pub := startBroker(t, redis.Options{URL: srv.URL(), Prefix: c.name, StrictRefusals: true}, ph)
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
// call go out in one pipeline, in order; one whose channel a crashed
// node still holds is refused while the others go out. With strict
// refusals the refused one is not sent; by default it was sent before
// the check (the subscribed node delivers it), and the retries while
// the crash is not yet detected are refused before they are sent, so
// the event accepted at last arrives once.
func TestBurstRefusesOnlyItsHeldChannel(t *testing.T) {
	t.Run("plain", func(t *testing.T) { burstWithHeldChannel(t, false, []string{"x1", "y1", "x2", "y2"}) })
	t.Run("strict", func(t *testing.T) { burstWithHeldChannel(t, true, []string{"x1", "x2", "y2"}) })
}

func burstWithHeldChannel(t *testing.T, strict bool, want []string) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL(), StrictRefusals: strict}
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
	// After the crash is detected, y accepts again; the next event
	// arrives once.
	eventually(t, 10*time.Second, "y accepted again", func() bool { return publishData(pub, "y", "y2") == nil })
	eventually(t, 5*time.Second, "y2 delivered", func() bool { return slices.Contains(h.seen(), "y2") })
	if got := h.seen(); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}
