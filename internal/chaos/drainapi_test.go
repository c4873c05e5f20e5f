package chaos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/ledger"
)

// Keep-alive publishers through SIGTERM: every HTTP API request the
// draining node read gets an answer (200, or 503 with Retry-After),
// none is reset or cut short; a connection attempt after the listener
// closed is refused, which tells the publisher that nothing was sent.
// Publishes keep being accepted during the drain window. Over Redis,
// every publish answered 200 reaches a subscriber on another node (the
// loss ledger judges).
func TestDrainAnswersKeepAlivePublishers(t *testing.T) {
	t.Run("memory", func(t *testing.T) { drainPublishers(t, false) })
	t.Run("redis", func(t *testing.T) { drainPublishers(t, true) })
}

func drainPublishers(t *testing.T, overRedis bool) {
	const publishers = 4
	o := ServeOptions{Drain: time.Second}
	var other *Node
	if overRedis {
		o.RedisURL = StartRedis(t).URL()
		other = Serve(t, o)
	}
	n := Serve(t, o)
	l := ledger.New()
	// A WebSocket client on the draining node: the drain closes it within
	// the window, and the listener stays open until then.
	held, err := Dial(n.URL(), nil, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(held.Close)
	channels := make([]string, publishers)
	for i := range channels {
		channels[i] = fmt.Sprintf("api-%d", i)
	}
	if other != nil {
		sub, err := Dial(other.URL(), l.Session("sub"), DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sub.Close)
		for _, ch := range channels {
			if err := sub.Subscribe(ch, "", 10*time.Second); err != nil {
				t.Fatal(err)
			}
		}
	}

	var mu sync.Mutex
	outcomes := map[string]int{}
	var duringDrain int // 200s answered after SIGTERM
	var began time.Time
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, ch := range channels {
		wg.Add(1)
		go func() { // one keep-alive connection's worth of requests, in sequence
			defer wg.Done()
			for i := 0; i < 50000 && ctx.Err() == nil; i++ {
				seq := l.Next(ch)
				status, body := n.PublishAnswer(ch, LedgerEvent, ledger.Payload(seq, time.Now()))
				l.Record(ch, seq, status)
				outcome := fmt.Sprint(status)
				if status == 0 && strings.Contains(body, "connection refused") {
					outcome = "connection refused"
				} else if status == 0 {
					outcome = "transport error: " + body
				}
				mu.Lock()
				outcomes[outcome]++
				if status == 200 && !began.IsZero() {
					duringDrain++
				}
				mu.Unlock()
				if outcome == "connection refused" {
					return // the node is gone: the publisher goes elsewhere
				}
			}
		}()
	}
	// Traffic flows before the signal.
	if _, ok := Eventually(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return outcomes["200"] >= 200 }); !ok {
		t.Fatalf("publishes before SIGTERM: %v", outcomes)
	}
	mu.Lock()
	began = time.Now()
	mu.Unlock()
	n.Term()
	exit := n.Wait(30 * time.Second)
	wg.Wait()
	if exit != nil {
		t.Errorf("fanout serve after SIGTERM: %v, want exit 0", exit)
	}
	t.Logf("outcomes: %v; %d accepted after SIGTERM", outcomes, duringDrain)
	for o, k := range outcomes {
		if o != "200" && o != "503" && o != "connection refused" {
			t.Errorf("%d publishes ended %q: want every request answered (200 or 503) or its connection refused", k, o)
		}
	}
	if duringDrain == 0 {
		t.Errorf("no publish accepted during the drain window: a draining node still accepts publishes")
	}
	if other == nil {
		return
	}
	Eventually(10*time.Second, func() bool { return l.Check(ledger.Options{}).OK() })
	if r := l.Check(ledger.Options{}); !r.OK() {
		t.Error(r)
	} else {
		t.Log(r)
	}
}
