package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// TestCoalescedHistoryPublishes: many concurrent Publish calls (single
// events and bursts) on channels with history share script calls (at
// most one in flight, so all but the first wait and share); every
// publication still gets its own position, offsets of each channel run
// 1..n with no gap or repeat, each call's burst keeps its order, and
// the stream holds exactly what was published.
func TestCoalescedHistoryPublishes(t *testing.T) {
	defer redis.ShareKeptCalls(1)()
	srv := startRedis(t)
	b, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "co"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h := &historyHandler{}
	_ = b.Start(h)
	const workers, rounds, channels = 16, 20, 3
	var mu sync.Mutex
	seen := map[broker.Position]string{}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				burst := 1 + (w+r)%3 // 1..3 publications, one channel
				ch := fmt.Sprint("c", (w+r)%channels)
				ps := make([]broker.Publication, burst)
				for i := range ps {
					ps[i] = broker.Publication{App: "a", Channel: ch, Event: "e", Data: fmt.Sprint(w, "/", r, "/", i)}
				}
				if err := b.Publish(context.Background(), ps...); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for i, p := range ps {
					if i > 0 && p.Position.Offset != ps[i-1].Position.Offset+1 {
						t.Errorf("burst %v out of order", ps)
					}
					if prev, dup := seen[p.Position]; dup || p.Position.Epoch == "" {
						t.Errorf("position %+v given to %s and %q", p.Position, p.Data, prev)
					}
					seen[p.Position] = ch + " " + p.Data
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	perChannel := map[string]int{}
	for _, v := range seen {
		perChannel[v[:strings.IndexByte(v, ' ')]]++
	}
	for c := range channels {
		ch := fmt.Sprint("c", c)
		spec, _ := h.HistoryFor("a", ch)
		page, err := b.ReadHistory(context.Background(), "a", ch, spec, broker.HistoryQuery{})
		if err != nil {
			t.Fatal(err)
		}
		n := perChannel[ch]
		if page.Position.Offset != uint64(n) || len(page.Events) != min(n, spec.Size) {
			t.Fatalf("%s: newest offset %d and %d events kept, %d published", ch, page.Position.Offset, len(page.Events), n)
		}
		for i, p := range page.Events {
			if p.Position.Offset != uint64(n-len(page.Events)+i+1) || seen[p.Position] != ch+" "+p.Data {
				t.Fatalf("%s event %d: %+v, published as %q", ch, i, p, seen[p.Position])
			}
		}
	}
}
