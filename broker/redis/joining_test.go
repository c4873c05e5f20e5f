package redis_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// TestPublishDuringSubscribeIsNotRefused: a node publishes to channels it
// is subscribing to at that moment, as an HTTP API publish does while a
// client's subscribe to the channel is on its way to Redis. A PUBLISH
// that Redis ran before the SUBSCRIBE reaches no one, and its answer may
// come back after the confirmation: that is a publication from before the
// subscription, not a subscription Redis dropped, and it is accepted.
// Publications after the confirmation are delivered.
func TestPublishDuringSubscribeIsNotRefused(t *testing.T) {
	// Rounds: before the fix every run refused some, 3 to 16 of 2,000 on
	// a standalone Redis and 16 to 27 of 600 in the cluster.
	t.Run("standalone", func(t *testing.T) { racePublishSubscribe(t, startRedis(t).URL(), false, &countHandler{}, 2000) })
	t.Run("history", func(t *testing.T) { racePublishSubscribe(t, startRedis(t).URL(), false, &historyHandler{}, 2000) })
	t.Run("cluster", func(t *testing.T) { racePublishSubscribe(t, startCluster(t)[0].URL(), true, &countHandler{}, 600) })
}

// joinParallel is how many channels are subscribed at a time.
const joinParallel = 10

// racePublishSubscribe subscribes rounds channels, each with a
// publication racing its subscribe and one after it is confirmed.
func racePublishSubscribe(t *testing.T, url string, cluster bool, h broker.Handler, rounds int) {
	b := startBroker(t, redis.Options{URL: url, Cluster: cluster, Prefix: "j"}, h)
	var refused, after atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	for range joinParallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				ch := fmt.Sprint("join-", i)
				b.Subscribe("app", ch)
				err := publishData(b, ch, "racing")
				if errors.Is(err, broker.ErrUnavailable) {
					refused.Add(1)
				} else if err != nil {
					t.Error(err)
				}
				listened := make(chan struct{})
				b.AwaitListening("app", ch, func() { close(listened) })
				<-listened
				if err := publishData(b, ch, "after"); err != nil {
					after.Add(1)
				}
				b.Unsubscribe("app", ch)
			}
		}()
	}
	for i := range rounds {
		next <- i
	}
	close(next)
	wg.Wait()
	if n := refused.Load(); n != 0 {
		t.Errorf("%d of %d publications racing the node's own subscribe refused", n, rounds)
	}
	if n := after.Load(); n != 0 {
		t.Errorf("%d of %d publications after the subscription was confirmed refused", n, rounds)
	}
}

// TestAnsweredBeforeConfirmedRefusesUntilConfirmed: while Redis is down a
// subscriber is answered anyway after AwaitListening's bound (a
// WebSocket's subscription_succeeded, an event stream's 200). Once Redis
// is back, publishes to the channel are refused until Redis confirms the
// subscription; every one accepted is delivered.
func TestAnsweredBeforeConfirmedRefusesUntilConfirmed(t *testing.T) {
	srv := startRedis(t)
	h := &seenHandler{}
	b := startBroker(t, redis.Options{URL: srv.URL()}, h)
	srv.kill()
	b.Subscribe("app", "x")
	answered := make(chan struct{})
	b.AwaitListening("app", "x", func() { close(answered) })
	<-answered // Redis could not confirm: the subscriber was told anyway
	srv.restart()
	refused := publishUntilAccepted(t, b, h)
	t.Logf("%d refused until the subscription was confirmed, 20 accepted and delivered", refused)
}
