package redis_test

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// seenHandler records the Data of every publication delivered.
type seenHandler struct {
	mu  sync.Mutex
	got []string
}

func (h *seenHandler) Deliver(p broker.Publication) {
	h.mu.Lock()
	h.got = append(h.got, p.Data)
	h.mu.Unlock()
}
func (h *seenHandler) TerminateUser(string, string) {}

func (h *seenHandler) seen() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.got...)
}

// TestFrozenRedisLosesNothing: Redis stopped (SIGSTOP) for longer than
// the call timeout, then resumed. The subscribing node keeps its pub/sub
// connection, so an event accepted just before the freeze and one
// accepted after it are delivered; an event refused during the freeze
// (its caller timed out) is never delivered, not even late.
func TestFrozenRedisLosesNothing(t *testing.T) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL(), Timeout: 500 * time.Millisecond, NodeTTL: 30 * time.Second}
	sub, err := redis.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	h := &seenHandler{}
	_ = sub.Start(h)
	pub, err := redis.New(o)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	_ = pub.Start(&countHandler{})
	sub.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listening", func() bool { return sub.Listening("app", "x") })
	publish := func(data string) error {
		return pub.Publish(context.Background(), broker.Publication{App: "app", Channel: "x", Event: "e", Data: data})
	}
	if err := publish("before"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the event before the freeze", func() bool { return len(h.seen()) == 1 })

	_ = srv.cmd.Process.Signal(syscall.SIGSTOP)
	if err := publish("refused"); err == nil {
		t.Fatal("a publish to a frozen Redis was accepted")
	}
	// Outlast rueidis's liveness checks (they are tied to the timeout).
	time.Sleep(4 * o.Timeout) // the fault's length, not a wait for an outcome
	_ = srv.cmd.Process.Signal(syscall.SIGCONT)

	eventually(t, 10*time.Second, "a publish accepted after the freeze", func() bool { return publish("after") == nil })
	eventually(t, 5*time.Second, "the event after the freeze", func() bool {
		got := h.seen()
		return len(got) > 0 && got[len(got)-1] == "after"
	})
	for _, d := range h.seen() {
		if d == "refused" {
			t.Fatalf("the event refused during the freeze was delivered after it: %v", h.seen())
		}
	}
	if !sub.Listening("app", "x") {
		t.Fatal("subscription not confirmed after the freeze")
	}
}

// TestLostSubscriptionRefusesPublishes: Redis drops the node's pub/sub
// connection (CLIENT KILL TYPE pubsub) while the node publishes to its
// own channel. Until the subscription is confirmed again publishes are
// refused; every one accepted is delivered.
func TestLostSubscriptionRefusesPublishes(t *testing.T) {
	srv := startRedis(t)
	n, err := redis.New(redis.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	h := &seenHandler{}
	_ = n.Start(h)
	n.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listening", func() bool { return n.Listening("app", "x") })
	if _, err := srv.do("CLIENT", "KILL", "TYPE", "pubsub"); err != nil {
		t.Fatal(err)
	}
	refused := publishUntilAccepted(t, n, h)
	if refused == 0 {
		t.Fatal("no publish refused while the subscription was being restored")
	}
	t.Logf("%d refused while restoring, 20 accepted and delivered", refused)
}
