package chaos

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/ledger"
)

// SIGTERM while publishes flow: every event accepted before the drain
// began reaches every client subscribed then, before that client's 4200;
// events accepted during the drain arrive in order up to the 4200; every
// client gets 4200 and the process exits 0.
func TestDrainWithTraffic(t *testing.T) {
	clients := Pick(200, 2000)
	const channels = 10
	window := Pick(2*time.Second, 10*time.Second)
	n := Serve(t, ServeOptions{Drain: window})
	l := ledger.New()
	var names []string
	for i := range channels {
		names = append(names, fmt.Sprintf("d-%d", i))
	}
	var cs []*Client
	for i := range clients {
		c, err := Dial(n.URL(), l.Session(fmt.Sprintf("c%d", i)), DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(c.Close)
		// Each client on three channels, so channels overlap.
		for k := range 3 {
			if err := c.SubscribeAsync(names[(i+k*3)%channels], ""); err != nil {
				t.Fatal(err)
			}
		}
		cs = append(cs, c)
	}
	for _, c := range cs {
		if _, ok := Eventually(10*time.Second, func() bool {
			k := 0
			for _, e := range c.Events() {
				if e.Event == "pusher_internal:subscription_succeeded" {
					k++
				}
			}
			return k == 3
		}); !ok {
			t.Fatalf("%s: not subscribed to its three channels", c.Session.Name)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub := &Publisher{L: l, Node: func() *Node { return n }}
	// The long variant's 2,000 clients read in this one test process: a
	// lower rate keeps them from lagging seconds behind (which the node
	// would end with an aborted close, see RELIABILITY.md).
	wait := pub.Run(ctx, names, envDuration("FANOUT_DRAIN_INTERVAL", Pick(10*time.Millisecond, 50*time.Millisecond)))
	Eventually(time.Second, func() bool { return false }) // traffic flows for a second before the signal

	began := time.Now()
	n.Term()
	exit := n.Wait(window + 20*time.Second)
	cancel()
	wait()
	for _, c := range cs {
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still open after the node exited", c.Session.Name)
		}
	}
	if exit != nil {
		t.Errorf("fanout serve after SIGTERM: %v, want exit 0", exit)
	}
	codes := map[int]int{}
	when := map[int][]time.Duration{} // close code -> first and last end, after SIGTERM
	for _, c := range cs {
		code, d := c.CloseCode(), c.Ended().Sub(began).Round(10*time.Millisecond)
		codes[code]++
		if w := when[code]; w == nil {
			when[code] = []time.Duration{d, d}
		} else {
			w[0], w[1] = min(w[0], d), max(w[1], d)
		}
	}
	t.Logf("connections ended after SIGTERM, by code: %v", when)
	errs := map[string]int{}
	for _, c := range cs {
		if c.CloseCode() == 1006 && c.Err() != nil {
			errs[c.Err().Error()]++
		}
	}
	if len(errs) > 0 {
		t.Logf("what ended the connections without a close frame: %v", errs)
	}
	if codes[4200] != clients {
		t.Errorf("close codes %v, want 4200 for all %d", codes, clients)
	}
	acc, ref, byStatus := l.Counts()
	r := l.Check(ledger.Options{StrictBefore: began})
	t.Logf("%d clients, drain window %v: publishes %d accepted, %d refused %v; close codes %v", clients, window, acc, ref, byStatus, codes)
	t.Log(r)
	if !r.OK() {
		t.Error(r)
	}
}
