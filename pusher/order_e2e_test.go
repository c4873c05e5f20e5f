package pusher_test

import (
	"strconv"
	"sync"
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

// Events of one channel arrive in publish order while other channels are
// published to at the same time (delivery runs on parallel workers).
func TestPerChannelOrderUnderConcurrentChannels(t *testing.T) {
	cfg := fantest.Config()
	n := fantest.Start(t, cfg, nil)
	const events = 300
	chans := []string{"order-a", "order-b", "order-c"}
	clients := make([]*fantest.Client, len(chans))
	for i, ch := range chans {
		clients[i] = fantest.Dial(t, n.URL("app-key"), nil)
		clients[i].Subscribe(ch)
	}
	var wg sync.WaitGroup
	for _, ch := range chans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < events; i++ {
				if st, body := n.Publish(t, cfg.Apps[0], ch, "seq", strconv.Itoa(i)); st != 200 {
					t.Errorf("publish %d: %s", st, body)
					return
				}
			}
		}()
	}
	for ci, c := range clients {
		for i := 0; i < events; i++ {
			ev := c.Expect("seq")
			if ev.Channel != chans[ci] || ev.DataString() != strconv.Itoa(i) {
				t.Fatalf("%s: event %d is %q on %s", chans[ci], i, ev.DataString(), ev.Channel)
			}
		}
	}
	wg.Wait()
}
