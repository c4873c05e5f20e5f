package redis_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// countLog is a real webhook endpoint that keeps the subscription_count
// webhooks of every node, in arrival order.
type countLog struct {
	mu     sync.Mutex
	counts []int
}

func (h *countLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := readHook(w, r, "")
	if !ok {
		return
	}
	h.mu.Lock()
	for _, e := range p.Events {
		if e.Name == "subscription_count" && e.SubscriptionCount != nil {
			h.counts = append(h.counts, *e.SubscriptionCount)
		}
	}
	h.mu.Unlock()
}

func (h *countLog) last() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.counts) == 0 {
		return -1
	}
	return h.counts[len(h.counts)-1]
}

func startCountNode(t *testing.T, srv *redisServer, hook string, ttl time.Duration) node {
	t.Helper()
	return startAppNode(t, srv, "sc", ttl, func(a *config.App) {
		a.SubscriptionCount = true
		a.SubscriptionCountInterval = 200 * time.Millisecond
		a.Webhooks.URL = hook
		a.Webhooks.BatchWait = 10 * time.Millisecond
	})
}

// awaitSubCount reads c's events until pusher_internal:subscription_count
// carries want.
func awaitSubCount(t *testing.T, c *fantest.Client, want int) {
	t.Helper()
	for range 100 {
		ev, err := c.NextErr(15 * time.Second)
		if err != nil {
			t.Fatalf("no subscription_count %d: %v", want, err)
		}
		var d struct {
			N int `json:"subscription_count"`
		}
		if ev.Event == "pusher_internal:subscription_count" && json.Unmarshal([]byte(ev.DataString()), &d) == nil && d.N == want {
			return
		}
	}
	t.Fatalf("no subscription_count %d within 100 events", want)
}

// TestSubscriptionCountAcrossNodes: subscribers on two nodes see the
// cluster's count, the webhook (sent by whichever node saw the change)
// ends on the same count, and when a node crashes its subscribers leave
// the count, announced by the node that reaps it, once the cluster
// forgets it.
func TestSubscriptionCountAcrossNodes(t *testing.T) {
	srv := startRedis(t)
	h := &countLog{}
	hs := httptest.NewServer(h)
	defer hs.Close()
	ttl := 1500 * time.Millisecond
	a := startCountNode(t, srv, hs.URL, ttl)
	b := startCountNode(t, srv, hs.URL, ttl)
	startCountNode(t, srv, hs.URL, ttl) // a survivor without subscribers, which may reap

	ca := fantest.Dial(t, a.URL("app-key"), nil)
	ca.Subscribe("viewers")
	awaitSubCount(t, ca, 1)
	var cbs []*fantest.Client
	for range 3 {
		c := fantest.Dial(t, b.URL("app-key"), nil)
		c.Subscribe("viewers")
		cbs = append(cbs, c)
	}
	awaitSubCount(t, ca, 4)
	awaitSubCount(t, cbs[0], 4)
	eventually(t, 10*time.Second, "webhook at 4", func() bool { return h.last() == 4 })

	b.b.Crash()
	awaitSubCount(t, ca, 1)
	eventually(t, 10*time.Second, "webhook at 1 after the crash", func() bool { return h.last() == 1 })
}
