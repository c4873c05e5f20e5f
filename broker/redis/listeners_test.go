package redis_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// listenedBy is the number of nodes in a channel's listener set.
func listenedBy(t *testing.T, srv *redisServer, channel string) string {
	t.Helper()
	r, err := srv.do("SCARD", "{fanout:c:app:"+channel+"}:l")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func startBroker(t *testing.T, o redis.Options, h broker.Handler) *redis.Broker {
	t.Helper()
	b, err := redis.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	_ = b.Start(h)
	return b
}

func publishData(b *redis.Broker, channel, data string) error {
	return b.Publish(context.Background(), broker.Publication{App: "app", Channel: channel, Event: "e", Data: data})
}

// publishUntilAccepted publishes numbered events to channel x through pub,
// one a millisecond, until 20 are accepted, and checks that h got exactly
// those, in order; it returns how many were refused.
func publishUntilAccepted(t *testing.T, pub *redis.Broker, h *seenHandler) (refused int) {
	t.Helper()
	var accepted []string
	for i := 0; len(accepted) < 20; i++ {
		d := fmt.Sprint(i)
		if err := publishData(pub, "x", d); err == nil {
			accepted = append(accepted, d)
		} else {
			refused++
		}
		time.Sleep(time.Millisecond) // the publishers' pace, not a wait for an outcome
	}
	eventually(t, 5*time.Second, "every accepted event delivered", func() bool { return len(h.seen()) >= len(accepted) })
	if got := h.seen(); !slices.Equal(got, accepted) {
		t.Fatalf("delivered %v, accepted %v", got, accepted)
	}
	return refused
}

// TestOtherNodeResubscribingRefusesPublishes: Redis drops a subscribing
// node's pub/sub connection (CLIENT KILL TYPE pubsub) while another node,
// which does not hold the channel itself, publishes to it. Until the
// subscriber is subscribed again the publishes are refused; every one
// accepted reaches it.
func TestOtherNodeResubscribingRefusesPublishes(t *testing.T) {
	srv := startRedis(t)
	h := &seenHandler{}
	sub := startBroker(t, redis.Options{URL: srv.URL()}, h)
	pub := startBroker(t, redis.Options{URL: srv.URL()}, &countHandler{})
	sub.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listed", func() bool { return listenedBy(t, srv, "x") == ":1" })
	if _, err := srv.do("CLIENT", "KILL", "TYPE", "pubsub"); err != nil {
		t.Fatal(err)
	}
	refused := publishUntilAccepted(t, pub, h)
	if refused == 0 {
		t.Fatal("no publish refused while the other node was subscribing again")
	}
	t.Logf("%d refused while the subscriber was subscribing again, 20 accepted and delivered", refused)
}

// listenerAndPublisher starts two nodes: one listening to channel x
// (listed in Redis when it returns; the test stops it itself) and one to
// publish, with handler h.
func listenerAndPublisher(t *testing.T, srv *redisServer, o redis.Options, h broker.Handler) (listener, pub *redis.Broker) {
	t.Helper()
	listener, err := redis.New(o)
	if err != nil {
		t.Fatal(err)
	}
	_ = listener.Start(&countHandler{})
	pub = startBroker(t, o, h)
	listener.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listed", func() bool { return listenedBy(t, srv, "x") == ":1" })
	return listener, pub
}

// TestCrashedListenerBlocksUntilReaped: the price of the listener check.
// A node that dies holding a channel (no retirement) stays in the
// channel's listener set until it is reaped after NodeTTL, and until
// then the channel refuses publications; after that they are accepted.
func TestCrashedListenerBlocksUntilReaped(t *testing.T) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL(), NodeTTL: time.Second}
	dead, pub := listenerAndPublisher(t, srv, o, &countHandler{})
	if err := publishData(pub, "x", "before"); err != nil {
		t.Fatalf("publish while the listener lives: %v", err)
	}
	dead.Crash()
	crashed := time.Now()
	if err := publishData(pub, "x", "after the crash"); err == nil {
		t.Fatal("publish accepted while a listed node is gone and not reaped yet")
	}
	eventually(t, 10*time.Second, "publishes accepted once the dead node is reaped", func() bool {
		return publishData(pub, "x", "after the reap") == nil
	})
	t.Logf("channel refused publishes for %v after the crash (NodeTTL %v)", time.Since(crashed).Round(time.Millisecond), o.NodeTTL)
	if n := listenedBy(t, srv, "x"); n != ":0" {
		t.Fatalf("listener set after the reap: %s, want empty", n)
	}
}

// TestListenerChurnRefusesNothing: a node that subscribes and
// unsubscribes a channel over and over never makes another node's
// publishes to it fail: it leaves the listener set before it
// unsubscribes and enters it after Redis confirmed the subscription.
func TestListenerChurnRefusesNothing(t *testing.T) {
	srv := startRedis(t)
	churn := startBroker(t, redis.Options{URL: srv.URL()}, &countHandler{})
	steady := startBroker(t, redis.Options{URL: srv.URL()}, &countHandler{})
	pub := startBroker(t, redis.Options{URL: srv.URL()}, &countHandler{})
	steady.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listed", func() bool { return listenedBy(t, srv, "x") == ":1" })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		refused := 0
		for ctx.Err() == nil {
			if publishData(pub, "x", "e") != nil {
				refused++
			}
		}
		done <- refused
	}()
	for range 50 {
		churn.Subscribe("app", "x")
		eventually(t, 5*time.Second, "churning node listening", func() bool { return churn.Listening("app", "x") })
		churn.Unsubscribe("app", "x")
		eventually(t, 5*time.Second, "churning node gone", func() bool { return !churn.Listening("app", "x") })
	}
	cancel()
	if refused := <-done; refused != 0 {
		t.Fatalf("%d publishes refused while another node subscribed and unsubscribed", refused)
	}
	eventually(t, 5*time.Second, "only the steady node listed", func() bool { return listenedBy(t, srv, "x") == ":1" })
}

// TestClosedListenerLeavesAtOnce: a node that stops gracefully leaves
// every listener set before Close returns, so its channels do not wait
// for a reap.
func TestClosedListenerLeavesAtOnce(t *testing.T) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL(), NodeTTL: time.Minute}
	leaving, pub := listenerAndPublisher(t, srv, o, &countHandler{})
	_ = leaving.Close()
	if n := listenedBy(t, srv, "x"); n != ":0" {
		t.Fatalf("listener set after Close: %s, want empty", n)
	}
	if err := publishData(pub, "x", "after"); err != nil {
		t.Fatalf("publish after the listener closed: %v", err)
	}
}

// TestCrashedListenerBlocksHistoryChannel: the listener check holds for
// channels with history too, whose publish script also appends to the
// stream. A publication refused while a dead listener is listed takes
// no offset and is not kept; the stream goes on without a gap after the
// reap.
func TestCrashedListenerBlocksHistoryChannel(t *testing.T) {
	srv := startRedis(t)
	o := redis.Options{URL: srv.URL(), NodeTTL: time.Second}
	dead, pub := listenerAndPublisher(t, srv, o, &historyHandler{})
	if err := publishData(pub, "x", "before"); err != nil {
		t.Fatalf("publish while the listener lives: %v", err)
	}
	dead.Crash()
	if err := publishData(pub, "x", "refused"); err == nil {
		t.Fatal("publish to a history channel accepted while a listed node is gone and not reaped yet")
	}
	eventually(t, 10*time.Second, "publishes accepted once the dead node is reaped", func() bool {
		return publishData(pub, "x", "after") == nil
	})
	spec := broker.HistorySpec{Size: 100, TTL: 5 * time.Minute}
	page, err := pub.ReadHistory(context.Background(), "app", "x", spec, broker.HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range page.Events {
		got = append(got, e.Data)
		if e.Position.Offset != uint64(i+1) {
			t.Errorf("event %d at offset %d, want %d", i, e.Position.Offset, i+1)
		}
	}
	if !slices.Equal(got, []string{"before", "after"}) {
		t.Fatalf("history %v, want [before after]: a refused publication was kept", got)
	}
}
