package bench

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

// startFanout starts a fanout node in this process with client events
// on and the given auth mode for the default app.
func startFanout(t *testing.T, mode string) *fantest.Node {
	t.Helper()
	cfg := fantest.Config()
	cfg.Apps[0].ClientEvents = true
	cfg.Apps[0].Auth.Mode = mode
	return fantest.Start(t, cfg, nil)
}

func TestStormAgainstFanout(t *testing.T) {
	n := startFanout(t, "off")
	app := n.Cfg.Apps[0]
	res, err := Execute(testCtx(t), Options{Scenario: "storm", URLs: []string{"ws://" + n.Addr()},
		AppID: app.ID, AppKey: app.Key, AppSecret: app.Secret, Conns: 40, Senders: 4, Rate: 20, Size: 50,
		Duration: time.Second, ProbeEvery: 200 * time.Millisecond, Workers: 1, Quiet: true,
		ServerPIDs: []int{os.Getpid()}}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribed != 40 || res.Failed != 0 {
		t.Fatalf("subscribed %d failed %d %v", res.Subscribed, res.Failed, res.Failures)
	}
	if res.ClientEventsSent == 0 || res.ClientEventsRefused != 0 || res.Expected != res.ClientEventsSent*39 || res.Delivered != res.Expected {
		t.Fatalf("sent %d refused %d expected %d delivered %d", res.ClientEventsSent, res.ClientEventsRefused, res.Expected, res.Delivered)
	}
	c, p := res.ConnectProbe, res.PublishProbe
	if c == nil || p == nil || c.Count < 2 || p.Count < 2 || c.Failed+p.Failed != 0 || c.P50 <= 0 || p.P50 <= 0 || c.Max < c.P50 {
		t.Fatalf("probes %+v %+v %v", c, p, res.ProbeFailures)
	}
	if err := res.Check(); err != nil {
		t.Fatal(err)
	}
	// The self-check's inputs are measured in a storm as in a fan-out:
	// the workers' own CPU and the cores they and the server may use.
	if res.HarnessCPUSeconds <= 0 || res.HarnessCPUPerDeliveryUs <= 0 || res.HarnessCoresAvailable <= 0 || res.MachineCores <= 0 {
		t.Fatalf("harness cost not measured: %.3f s, %.2f µs/delivery, %d cores available, machine %d",
			res.HarnessCPUSeconds, res.HarnessCPUPerDeliveryUs, res.HarnessCoresAvailable, res.MachineCores)
	}
	md := markdownTable([]Result{*res})
	for _, want := range []string{"scenario storm", "senders 4", "probe every 200ms", "new conn p50 / p99 / max ms", "refused"} {
		if !strings.Contains(md, want) {
			t.Errorf("table lacks %q:\n%s", want, md)
		}
	}
}

// Private channel auth is signed with the app secret: with a wrong one
// every subscription is refused, and the run says so.
func TestStormWrongSecretFails(t *testing.T) {
	n := startFanout(t, "off")
	app := n.Cfg.Apps[0]
	res, err := Execute(testCtx(t), Options{Scenario: "storm", URLs: []string{"ws://" + n.Addr()},
		AppID: app.ID, AppKey: app.Key, AppSecret: "wrong", Conns: 5, Duration: time.Second, Workers: 1, Quiet: true}, os.Stderr)
	if err != ErrNoSubscribers || res.Failures["pusher:subscription_error"] != 5 {
		t.Fatalf("err %v failures %v", err, res.Failures)
	}
}
