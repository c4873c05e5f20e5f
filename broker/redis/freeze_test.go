package redis_test

import (
	"context"
	"slices"
	"strconv"
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
// accepted after it are delivered, in order. With strict refusals an
// event refused during the freeze (its caller timed out) is never
// delivered, not even late; the same for a channel with history, whose
// publishes share script calls (coalesce.go): the refused event is not
// in the history either. By default a plain PUBLISH has no deadline:
// the refused event may arrive once Redis resumes, but before the
// event accepted after it.
func TestFrozenRedisLosesNothing(t *testing.T) {
	t.Run("plain", func(t *testing.T) { frozenRedis(t, &countHandler{}, false) })
	t.Run("strict", func(t *testing.T) { frozenRedis(t, &countHandler{}, true) })
	t.Run("history", func(t *testing.T) { frozenRedis(t, &historyHandler{}, false) })
}

func frozenRedis(t *testing.T, pubHandler broker.Handler, strict bool) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL(), Timeout: 500 * time.Millisecond, NodeTTL: 30 * time.Second, StrictRefusals: strict}
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
	_ = pub.Start(pubHandler)
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
	_, history := pubHandler.(broker.HistoryPolicy)
	got := slices.Compact(h.seen()) // a refused retry of "after" may arrive too, by default
	switch {
	case (strict || history) && slices.Contains(got, "refused"):
		t.Fatalf("the event refused during the freeze was delivered after it: %v", got)
	case !slices.Equal(got, []string{"before", "after"}) && !slices.Equal(got, []string{"before", "refused", "after"}):
		t.Fatalf("delivered %v, want before, (refused,) after", got)
	}
	if !sub.Listening("app", "x") {
		t.Fatal("subscription not confirmed after the freeze")
	}
	if hp, ok := pubHandler.(broker.HistoryPolicy); ok {
		spec, _ := hp.HistoryFor("app", "x")
		page, err := pub.ReadHistory(context.Background(), "app", "x", spec, broker.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page.Events {
			if p.Data == "refused" {
				t.Fatalf("the event refused during the freeze is in the history: %+v", page.Events)
			}
		}
		if n := len(page.Events); n < 2 || page.Events[0].Data != "before" || page.Events[n-1].Data != "after" {
			t.Fatalf("history after the freeze: %+v", page.Events)
		}
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

// stallHandler is a handler that is not a broker.Offerer, so the pub/sub
// reader calls Deliver itself and waits for it; Deliver blocks until
// release is closed.
type stallHandler struct {
	seenHandler
	release chan struct{}
}

func (h *stallHandler) Deliver(p broker.Publication) {
	<-h.release
	h.seenHandler.Deliver(p)
}

// TestStalledReaderLosesNothing: the handler blocks the node's pub/sub
// reader for several call timeouts (an overloaded node whose delivery
// queues are full) while another node's publishes are accepted. The
// pub/sub connection has no reply timeout, so it is not given up, and
// every accepted event arrives, in order, once the reader moves again.
// With rueidis's reply timeout and background PING back on that
// connection it fails: the PING the stalled reader cannot answer ends
// the connection after the timeout, and the accepted events queued on it
// are lost, even with the listener check (Redis counted the node as a
// subscriber when they were published). That is the overload loss of
// the storm scenario (RELIABILITY.md, fault 5).
func TestStalledReaderLosesNothing(t *testing.T) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL(), Timeout: 300 * time.Millisecond, NodeTTL: 30 * time.Second}
	h := &stallHandler{release: make(chan struct{})}
	sub := startBroker(t, o, h)
	pub := startBroker(t, o, &countHandler{})
	sub.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listening", func() bool { return sub.Listening("app", "x") })
	var accepted []string
	stalled := time.Now()
	for i := 0; time.Since(stalled) < 12*o.Timeout; i++ { // the stall's length (rueidis needs several timeouts to give up), not a wait for an outcome
		d := strconv.Itoa(i)
		if publishData(pub, "x", d) == nil {
			accepted = append(accepted, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(h.release)
	if len(accepted) == 0 {
		t.Fatal("no publish accepted during the stall")
	}
	// A publish refused because its caller timed out may still have run
	// (an ambiguous 503): such extras are allowed, in order; a missing
	// accepted event is not.
	last := accepted[len(accepted)-1]
	eventually(t, 5*time.Second, "the last accepted event delivered", func() bool { return slices.Contains(h.seen(), last) })
	got := h.seen()
	prev := -1
	for _, d := range got {
		n, err := strconv.Atoi(d)
		if err != nil || n <= prev {
			t.Fatalf("delivered out of order or twice: %v", got)
		}
		prev = n
	}
	for _, d := range accepted {
		if !slices.Contains(got, d) {
			t.Fatalf("accepted event %s never delivered; delivered %v", d, got)
		}
	}
}
