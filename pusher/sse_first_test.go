package pusher_test

import (
	"testing"

	"github.com/fanout/fanout/internal/fantest"
)

// TestStreamFirstMoment: event streams, 10 at a time, each publishing one
// event through the HTTP API as soon as its 200 arrives: every event
// reaches its stream and none is refused. The 200 goes out only once the
// stream is among its channels' open subscribers. On one node the moment
// that used to follow the 200 is a few microseconds of the loop's work,
// which a publish lands in rarely (before the fix, 4 runs of 10 with 100
// streams lost an event; 5 of 5 with 1,000 lost 2 to 6), so the test
// opens 1,000.
func TestStreamFirstMoment(t *testing.T) {
	cfg := fantest.Config()
	n := fantest.Start(t, cfg, nil)
	rep := fantest.FirstMoment{Clients: 1000, Parallel: 10, Prefix: "first"}.Run(t, n, cfg.Apps[0])
	t.Log(rep)
	if !rep.OK() || rep.Refused != 0 {
		t.Fatalf("events published after a stream's 200 went missing or were refused:\n%s", rep)
	}
}
