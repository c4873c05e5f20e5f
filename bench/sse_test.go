package bench

import (
	"os"
	"strings"
	"testing"
	"time"
)

// --transport sse holds event streams on a fanout node: each counts as
// subscribed on its 200, and the node sees them as subscribers of their
// channels (a publish reports them).
func TestSSEConnect(t *testing.T) {
	n := startFanout(t, "off")
	app := n.Cfg.Apps[0]
	o := Options{Scenario: "connect", Transport: "sse", URLs: []string{"ws://" + n.Addr()},
		AppID: app.ID, AppKey: app.Key, AppSecret: app.Secret, Conns: 40, Channels: 2, Workers: 1,
		Duration: 2 * time.Second, Quiet: true}
	done := make(chan *Result, 1)
	go func() {
		res, err := Execute(testCtx(t), o, os.Stderr)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	// While the streams are held, the node counts them on the channel.
	deadline := time.Now().Add(20 * time.Second)
	seen := map[string]int{}
	for {
		code, body := n.API(t, app, "GET", "/apps/"+app.ID+"/channels/bench-0", map[string][]string{"info": {"subscription_count"}}, nil)
		if code == 200 && strings.TrimSpace(body) == `{"occupied":true,"subscription_count":20}` {
			break
		}
		seen[strings.TrimSpace(body)]++
		if time.Now().After(deadline) {
			t.Fatalf("channel bench-0: %d %s, want 20 subscribers (seen %v)", code, body, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
	res := <-done
	if res == nil || res.Subscribed != 40 || res.Failed != 0 {
		t.Fatalf("result %+v", res)
	}
	if _, err := Execute(testCtx(t), Options{Scenario: "fanout", Transport: "sse"}, os.Stderr); err == nil {
		t.Fatal("--transport sse with the fanout scenario: no error")
	}
}
