package redis_test

import (
	"slices"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// TestScriptCacheFlushedPublishesGoOn: publications go as EVALSHA; once
// Redis forgot the scripts (SCRIPT FLUSH, as after a restart or a
// failover) the next ones, plain and with history, are sent again with
// EVAL, accepted and delivered in order, without a refusal.
func TestScriptCacheFlushedPublishesGoOn(t *testing.T) {
	srv := startRedis(t)
	for _, c := range []struct {
		name    string
		history bool
	}{{"plain", false}, {"history", true}} {
		t.Run(c.name, func(t *testing.T) {
			h := &seenHandler{}
			sub := startBroker(t, redis.Options{URL: srv.URL(), Prefix: c.name}, h)
			var ph broker.Handler = &countHandler{}
			if c.history {
				ph = &historyHandler{}
			}
			pub := startBroker(t, redis.Options{URL: srv.URL(), Prefix: c.name}, ph)
			sub.Subscribe("app", "x")
			eventually(t, 5*time.Second, "listening", func() bool { return sub.Listening("app", "x") })
			var want []string
			for i, flush := range []bool{false, true, false, true} {
				if flush {
					if r, err := srv.do("SCRIPT", "FLUSH"); err != nil || r != "+OK" {
						t.Fatalf("SCRIPT FLUSH: %q %v", r, err)
					}
				}
				d := string(rune('a' + i))
				if err := publishData(pub, "x", d); err != nil {
					t.Fatalf("publish %d (after flush: %v): %v", i, flush, err)
				}
				want = append(want, d)
			}
			eventually(t, 5*time.Second, "every event delivered", func() bool { return len(h.seen()) >= len(want) })
			if got := h.seen(); !slices.Equal(got, want) {
				t.Fatalf("delivered %v, want %v", got, want)
			}
		})
	}
}
