package redis_test

import (
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// dueHandler records the kept departures its node settled for another.
type dueHandler struct {
	countHandler
	mu  sync.Mutex
	due []broker.Departure
}

func (h *dueHandler) SettlesFor(app string) bool { return app == "app" }

func (h *dueHandler) DepartureDue(d broker.Departure) {
	h.mu.Lock()
	h.due = append(h.due, d)
	h.mu.Unlock()
}

func (h *dueHandler) settled() []broker.Departure {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]broker.Departure(nil), h.due...)
}

// TestRedisKeptDepartures: over a real Redis, a departure kept by a node
// that never settles it (it stopped or crashed) is settled by exactly one
// of the live nodes once its deadline has passed; one whose user came
// back is settled by none; a node can hand over only while another is live.
func TestRedisKeptDepartures(t *testing.T) {
	srv := startRedis(t)
	var dirs [2]*redis.Broker
	var hs [2]*dueHandler
	for i := range dirs {
		b, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "kd", NodeTTL: 600 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		hs[i] = &dueHandler{}
		if err := b.Start(hs[i]); err != nil {
			t.Fatal(err)
		}
		dirs[i] = b
	}
	a, b := dirs[0], dirs[1]
	eventually(t, 5*time.Second, "both nodes live", func() bool { return a.CanHandOver() && b.CanHandOver() })
	leave := func(d *redis.Broker, user string) broker.Departure {
		join := make(chan struct{})
		d.JoinPresence("app", "presence-k", broker.Member{ID: user}, true, func(broker.Transition, []broker.Member) { close(join) })
		<-join
		got := make(chan broker.Transition, 1)
		d.LeavePresence("app", "presence-k", user, true, true, func(t broker.Transition) { got <- t })
		return (<-got).Held
	}
	gone, back, marker := leave(a, "gone"), leave(a, "back"), leave(a, "marker")
	for _, d := range []broker.Departure{gone, back} {
		if err := a.KeepDeparture(d, 0); err != nil {
			t.Fatal(err)
		}
	}
	// "back" returns on the other node: its departure is taken.
	returned := make(chan broker.Transition, 1)
	b.JoinPresence("app", "presence-k", broker.Member{ID: "back"}, true, func(t broker.Transition, _ []broker.Member) { returned <- t })
	if t0 := <-returned; !t0.Returned {
		t.Fatalf("return: %+v, want Returned", t0)
	}
	// The marker's deadline comes after theirs: once it is settled, a
	// sweep round has decided both of them.
	if err := a.KeepDeparture(marker, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var all []broker.Departure
	eventually(t, 10*time.Second, "the marker and gone settled", func() bool {
		all = append(hs[0].settled(), hs[1].settled()...)
		n := 0
		for _, d := range all {
			if d == marker || d == gone {
				n++
			}
		}
		return n >= 2
	})
	if len(all) != 2 || (all[0] != gone && all[1] != gone) {
		t.Fatalf("settled %+v, want the departure of gone and the marker, once each", all)
	}
	if a.Settle(gone) || b.Settle(marker) {
		t.Fatal("a departure a sweep settled was settled again")
	}
	b.Close()
	if a.CanHandOver() {
		t.Error("CanHandOver true with no other live node")
	}
}
