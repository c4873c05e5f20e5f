package chaos

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The webhook receiver answers 500 (or drops the connection) for a while,
// then comes back. Retries are bounded (no hot loop), the queue is
// bounded (memory), and every webhook of the outage is either delivered
// after recovery or counted in fanout_webhooks_total{result="dropped"}.
func TestWebhookReceiverOutage(t *testing.T) {
	for _, mode := range []struct {
		name   string
		status int32
	}{{"500", 500}, {"down", Down}} {
		t.Run(mode.name, func(t *testing.T) { webhookOutage(t, mode.status) })
	}
}

func webhookOutage(t *testing.T, status int32) {
	outage := Pick(3*time.Second, 60*time.Second)
	retries := Pick(2, 0) // 0: the server's default (5)
	const queue = 100
	const channels = 150 // two webhooks each: more than the queue holds
	hooks := StartHooks(t)
	hooks.Status.Store(status)
	// No grace: the vacates must fall inside the outage as the occupies do.
	n := Serve(t, ServeOptions{WebhookURL: hooks.URL, WebhookRetry: retries, WebhookQueue: queue,
		Args: []string{"--webhook-grace", "0s"}})
	rssBefore := rssKiB(n.Pid())
	c, err := Dial(n.URL(), nil, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	began := time.Now()
	// Half the webhooks at the start of the outage, half just before its
	// end: the first are given up or dropped, the last should be
	// delivered by a retry after recovery.
	burst(t, n, c, 0, channels/2)
	time.Sleep(time.Until(began.Add(outage - time.Second))) // the fault's length, not a wait for an outcome
	burst(t, n, c, channels/2, channels)
	time.Sleep(time.Until(began.Add(outage)))
	during := hooks.Requests.Load()
	rssOutage := rssKiB(n.Pid())
	hooks.Status.Store(200)

	want := 2 * channels
	var delivered, repeated int
	var dropped float64
	took, ok := Eventually(90*time.Second, func() bool {
		delivered, repeated = hooks.Distinct("wh-")
		dropped, _ = n.Metric("fanout_webhooks_total", `result="dropped"`)
		return delivered+int(dropped) >= want
	})
	errs, _ := n.Metric("fanout_webhooks_total", `result="error"`)
	t.Logf("outage %v (%s), max_retries %d, max_queue %d: %d webhooks; %d requests during the outage (%.1f/s); after recovery %v: %d delivered (%d repeats), %d counted dropped, %v batches given up; RSS %d KiB before, %d KiB during",
		outage, map[int32]string{500: "HTTP 500", Down: "connection dropped"}[status], retries, queue, want, during,
		float64(during)/outage.Seconds(), took.Round(time.Millisecond), delivered, repeated, int(dropped), errs, rssBefore, rssOutage)
	if !ok || delivered+int(dropped) != want {
		t.Errorf("%d delivered + %d dropped != %d webhooks sent: %d went missing without a count", delivered, int(dropped), want, want-delivered-int(dropped))
	}
	if dropped == 0 {
		t.Errorf("the queue holds %d and %d were sent during the outage, yet nothing was counted dropped", queue, want)
	}
	// Bounded retries: the sender backs off (at least 250 ms before the
	// first retry, doubling), so a failing receiver sees a few requests a
	// second at most, not a hot loop.
	if rate := float64(during) / outage.Seconds(); rate > 5 {
		t.Errorf("%d requests in %v of outage (%.1f/s): retries are not backing off", during, outage, rate)
	}
	if hooks.BadSig.Load() != 0 {
		t.Errorf("%d webhook requests with a bad signature", hooks.BadSig.Load())
	}
}

// burst makes the webhooks channel_occupied and channel_vacated for
// channels wh-from .. wh-(to-1) and waits until the node has handled them.
func burst(t *testing.T, n *Node, c *Client, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		ch := fmt.Sprintf("wh-%d", i)
		if err := c.Subscribe(ch, "", 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := c.Send("pusher:unsubscribe", map[string]string{"channel": ch}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := Eventually(5*time.Second, func() bool { ch, err := n.Channels("wh-"); return err == nil && len(ch) == 0 }); !ok {
		t.Fatal("the unsubscribes were not handled within 5s")
	}
}

// rssKiB reads VmRSS of a process from /proc (0 if unreadable).
func rssKiB(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}
