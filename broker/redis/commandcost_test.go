package redis_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
	"github.com/redis/rueidis"
)

// commandCalls reads the calls of each command from INFO commandstats
// (commandStats).
func commandCalls(t *testing.T, c rueidis.Client) map[string]int {
	t.Helper()
	calls := map[string]int{}
	for name, s := range commandStats(t, c) {
		calls[name] = s.calls
	}
	return calls
}

// listenedChannel starts a Redis and two nodes with strict refusals or
// not: one subscribed to channel x (listed) that hands what it receives
// to h, and pub, which has published one event there (delivered; with
// strict refusals the script is in Redis's cache). Redis's command
// counts are reset; mon reads them.
func listenedChannel(t *testing.T, strict bool) (mon rueidis.Client, h *seenHandler, pub *redis.Broker) {
	t.Helper()
	srv := startRedis(t)
	mon = clientOf(t, srv)
	o := redis.Options{URL: srv.URL(), StrictRefusals: strict}
	h = &seenHandler{}
	sub := startBroker(t, o, h)
	pub = startBroker(t, o, &countHandler{})
	sub.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listed", func() bool { return listenedBy(t, srv, "x") == ":1" })
	if err := publishData(pub, "x", "warm-up"); err != nil { // loads the script (NOSCRIPT, then EVAL)
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "warm-up delivered", func() bool { return len(h.seen()) == 1 })
	if err := mon.Do(context.Background(), mon.B().ConfigResetstat().Build()).Error(); err != nil {
		t.Fatal(err)
	}
	return mon, h, pub
}

// TestPublishCommandsPerPublication pins what one publication without
// history costs Redis, from Redis's own command counts: by default a
// PUBLISH and the SCARD of its listener set, no script; with strict
// refusals one EVALSHA each (never EVAL, whose script text Redis reads
// and hashes on every call), which runs TIME, SCARD, PUBSUB NUMSUB and
// PUBLISH. Nothing else is sent per publication (no idempotency, history
// or confirmation commands). The slack covers the nodes' heartbeats
// during the window.
func TestPublishCommandsPerPublication(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		const n, slack = 200, 20
		calls, total := commandsForPublications(t, false, n)
		if calls["publish"] != n || calls["scard"] != n {
			t.Errorf("%d PUBLISH and %d SCARD for %d publications, want one each", calls["publish"], calls["scard"], n)
		}
		if calls["evalsha"]+calls["eval"] != 0 {
			t.Errorf("%d script calls for %d publications, want none", calls["evalsha"]+calls["eval"], n)
		}
		if total > 2*n+slack {
			t.Errorf("%d commands for %d publications, want at most 2 each (PUBLISH, SCARD)", total, n)
		}
	})
	t.Run("strict", func(t *testing.T) {
		const n, slack = 200, 20
		calls, total := commandsForPublications(t, true, n)
		if calls["eval"] != 0 {
			t.Errorf("%d EVAL for %d publications, want 0 (EVALSHA only)", calls["eval"], n)
		}
		if c := calls["evalsha"]; c < n || c > n+slack {
			t.Errorf("%d EVALSHA for %d publications, want one each", c, n)
		}
		if c := calls["publish"]; c != n {
			t.Errorf("%d PUBLISH for %d publications", c, n)
		}
		if total > 5*n+slack {
			t.Errorf("%d commands for %d publications, want at most 5 each (EVALSHA, TIME, SCARD, PUBSUB NUMSUB, PUBLISH)", total, n)
		}
	})
}

// commandsForPublications publishes n events one after the other to a
// listened channel and returns Redis's command counts over them and
// their total (INFO and CONFIG RESETSTAT left out).
func commandsForPublications(t *testing.T, strict bool, n int) (map[string]int, int) {
	mon, _, pub := listenedChannel(t, strict)
	for i := range n {
		if err := publishData(pub, "x", strconv.Itoa(i)); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	calls := commandCalls(t, mon)
	total := 0
	for name, c := range calls {
		if name != "info" && name != "config|resetstat" {
			total += c
		}
	}
	t.Logf("%d publications: %v", n, calls)
	return calls, total
}

// TestConcurrentPublishesShareScriptCalls: back-to-back publishers on
// one node share calls (standalone Redis) and every publication is
// delivered once, each publisher's in its order. With strict refusals
// Redis runs fewer EVALSHA and TIME than publications, while the
// listener check still runs per publication (one SCARD and PUBSUB
// NUMSUB each); by default each publication is one PUBLISH and one
// SCARD, no script.
func TestConcurrentPublishesShareScriptCalls(t *testing.T) {
	t.Run("plain", func(t *testing.T) {
		calls, n := concurrentPublishes(t, false)
		if calls["publish"] != n || calls["scard"] != n || calls["evalsha"]+calls["eval"] != 0 {
			t.Errorf("PUBLISH %d, SCARD %d, scripts %d for %d publications; want one PUBLISH and SCARD each, no script",
				calls["publish"], calls["scard"], calls["evalsha"]+calls["eval"], n)
		}
	})
	t.Run("strict", func(t *testing.T) {
		calls, n := concurrentPublishes(t, true)
		if c := calls["evalsha"]; c >= n {
			t.Errorf("%d EVALSHA for %d concurrent publications, want them shared", c, n)
		}
		if calls["publish"] != n || calls["scard"] < n || calls["pubsub|numsub"] < n {
			t.Errorf("PUBLISH %d, SCARD %d, PUBSUB NUMSUB %d for %d publications; want one of each per publication",
				calls["publish"], calls["scard"], calls["pubsub|numsub"], n)
		}
	})
}

// concurrentPublishes runs 16 back-to-back publishers of 50 events each
// on one node, checks every event arrived once and in its publisher's
// order, and returns Redis's command counts and the publications.
func concurrentPublishes(t *testing.T, strict bool) (map[string]int, int) {
	mon, h, pub := listenedChannel(t, strict)
	const publishers, each = 16, 50
	var wg sync.WaitGroup
	for w := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := publishData(pub, "x", fmt.Sprint(w, "/", i)); err != nil {
					t.Errorf("publisher %d, publish %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	const n = publishers * each
	calls := commandCalls(t, mon)
	t.Logf("%d publications from %d publishers: %v", n, publishers, calls)
	eventually(t, 10*time.Second, "every publication delivered", func() bool { return len(h.seen()) >= n+1 })
	next := make([]int, publishers)
	for _, d := range h.seen()[1:] {
		var w, i int
		if _, err := fmt.Sscanf(d, "%d/%d", &w, &i); err != nil || i != next[w] {
			t.Fatalf("delivered %q, want publisher %d's %d next", d, w, next[w])
		}
		next[w]++
	}
	return calls, n
}
