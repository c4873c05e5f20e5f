package redis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/internal/fantest"
)

// TestInterestOutOfOrder: Subscribe/Unsubscribe are counted, so a pair
// that arrives reversed still ends subscribed exactly when a local
// subscriber remains.
func TestInterestOutOfOrder(t *testing.T) {
	srv := startRedis(t)
	b, err := redis.New(redis.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	_ = b.Start(&countHandler{})
	b.Unsubscribe("app", "x") // the last subscriber's leave, overtaken
	b.Subscribe("app", "x")   // by the first subscriber's join
	b.Subscribe("app", "x")   // then a new subscriber: one remains
	eventually(t, 5*time.Second, "subscribed after a reversed pair", func() bool { return b.Listening("app", "x") })
	b.Unsubscribe("app", "x")
	eventually(t, 5*time.Second, "unsubscribed when none remains", func() bool { return !b.Listening("app", "x") })
	if code, _ := srv.do("PUBSUB", "NUMSUB", "fanout:c:app:x"); code == "" {
		t.Fatal("redis did not answer")
	}
}

// TestNodeRestartKeepsOthersPresence: a node that stops and starts again
// (a new node id) removes only its own members.
func TestNodeRestartKeepsOthersPresence(t *testing.T) {
	srv := startRedis(t)
	a := startNode(t, srv.URL(), false, 0)
	b := startNode(t, srv.URL(), false, 0)
	ch := "presence-restart"
	ca := fantest.Dial(t, a.URL("app-key"), nil)
	joinPresence(t, a, ca, ch, "alice")
	cb := fantest.Dial(t, b.URL("app-key"), nil)
	joinPresence(t, b, cb, ch, "bob")
	b.Close() // graceful stop of node B
	b2 := startNode(t, srv.URL(), false, 0)
	eventually(t, 5*time.Second, "bob gone, alice kept", func() bool {
		return strings.TrimSpace(users(t, b2, ch)) == `{"users":[{"id":"alice"}]}`
	})
	if body := strings.TrimSpace(users(t, a, ch)); body != `{"users":[{"id":"alice"}]}` {
		t.Fatalf("users on A after B restarted: %s", body)
	}
}
