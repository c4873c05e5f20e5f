package redis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// chanHandler hands deliveries to the test.
type chanHandler struct{ got chan broker.Publication }

func (h chanHandler) Deliver(p broker.Publication) { h.got <- p }
func (h chanHandler) TerminateUser(string, string) {}

// TestManyChannelsFewGoroutines: 5,000 subscribed channels ride on one
// pub/sub connection: the broker runs a handful of goroutines, not one
// per channel, and a publication to any of them arrives.
func TestManyChannelsFewGoroutines(t *testing.T) {
	srv := startRedis(t)
	b, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "g"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := chanHandler{got: make(chan broker.Publication, 16)}
	before := runtime.NumGoroutine()
	if err := b.Start(h); err != nil {
		t.Fatal(err)
	}
	const n = 5000
	for i := range n {
		b.Subscribe("app", fmt.Sprint("private-", i))
	}
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range n {
		b.AwaitListening("app", fmt.Sprint("private-", i), wg.Done)
	}
	wg.Wait()
	for i := range n {
		if !b.Listening("app", fmt.Sprint("private-", i)) {
			t.Fatalf("channel %d not confirmed by Redis", i)
		}
	}
	if g := runtime.NumGoroutine() - before; g >= 100 {
		t.Fatalf("%d goroutines for %d subscribed channels, want fewer than 100", g, n)
	}
	if r, _ := srv.do("PUBSUB", "NUMSUB", "g:c:app:private-1"); r == "" {
		t.Fatal("redis did not answer")
	}
	ch := fmt.Sprint("private-", rand.IntN(n))
	if err := b.Publish(context.Background(), broker.Publication{App: "app", Channel: ch, Event: "e", Data: `"x"`}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-h.got:
		if p.Channel != ch {
			t.Fatalf("published to %s, got %s", ch, p.Channel)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("publication to %s did not arrive within 10s", ch)
	}
	for i := range n {
		b.Unsubscribe("app", fmt.Sprint("private-", i))
	}
	eventually(t, 10*time.Second, "every channel unsubscribed in Redis", func() bool {
		c, err := srv.do("PUBSUB", "CHANNELS", "g:c:app:*")
		return err == nil && c == "*0"
	})
}
