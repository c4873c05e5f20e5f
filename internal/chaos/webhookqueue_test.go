package chaos

import (
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestWebhookQueueSurvivesNodeKill: with Redis the webhook queue is
// durable. Node A queues 40 webhooks while the endpoint answers 500, so
// it holds them, retrying, when it is SIGKILLed. The endpoint recovers
// and node B, started afterwards, takes the abandoned batch over once it
// has been idle for node_ttl and delivers every webhook exactly once.
func TestWebhookQueueSurvivesNodeKill(t *testing.T) {
	rd := StartRedis(t)
	hooks := StartHooks(t)
	hooks.Status.Store(500)
	opts := ServeOptions{RedisURL: rd.URL(), NodeTTL: 2 * time.Second, WebhookURL: hooks.URL, WebhookRetry: 100,
		Args: []string{"--webhook-grace", "0s"}}
	a := Serve(t, opts)
	c, err := Dial(a.URL(), nil, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const channels, want = 20, 40
	burst(t, a, c, 0, channels)
	// Every webhook is in the stream, and A is posting them (and failing).
	if _, ok := Eventually(10*time.Second, func() bool { return queued(rd) == want && hooks.Requests.Load() > 0 }); !ok {
		t.Errorf("the queue in Redis never held the %d webhooks while A posted them: %d queued, %d requests", want, queued(rd), hooks.Requests.Load())
	}
	c.Close()
	a.Kill()
	hooks.Status.Store(200)
	b := Serve(t, opts)
	var delivered, repeated int
	took, ok := Eventually(Pick(15*time.Second, 60*time.Second), func() bool {
		delivered, repeated = hooks.Distinct("wh-")
		return delivered == want && queued(rd) == 0
	})
	t.Logf("node B delivered %d of the %d webhooks queued on the killed node A, %v after it started (%d repeats)", delivered, want, took.Round(time.Millisecond), repeated)
	if !ok {
		t.Fatalf("after A's kill: %d of %d webhooks delivered, %d still queued", delivered, want, queued(rd))
	}
	if repeated != 0 {
		t.Errorf("%d webhooks delivered twice", repeated)
	}
	if hooks.BadSig.Load() != 0 {
		t.Errorf("%d requests with a bad signature", hooks.BadSig.Load())
	}
	if b.Exited() {
		t.Errorf("node B exited:\n%s", b.Output())
	}
}

// TestWebhookStopWithoutRedisCounted: without Redis the queue lives in
// memory; a node stopped while its endpoint fails drops what it holds,
// and says how many in its log, the only place the count outlives the
// process.
func TestWebhookStopWithoutRedisCounted(t *testing.T) {
	hooks := StartHooks(t)
	hooks.Status.Store(500)
	n := Serve(t, ServeOptions{WebhookURL: hooks.URL, WebhookRetry: 100, Args: []string{"--webhook-grace", "0s"}})
	c, err := Dial(n.URL(), nil, DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const channels, want = 10, 20
	burst(t, n, c, 0, channels)
	if _, ok := Eventually(10*time.Second, func() bool { return hooks.Requests.Load() > 0 }); !ok {
		t.Fatal("the node never posted")
	}
	c.Close()
	n.Signal(syscall.SIGTERM)
	if err := n.Wait(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	out := n.Output()
	i := strings.Index(out, "webhook events dropped at stop")
	if i < 0 {
		t.Fatalf("no count of the dropped webhooks in the log:\n%s", out)
	}
	line, _, _ := strings.Cut(out[i:], "\n")
	_, v, _ := strings.Cut(line, "events=")
	if got, _ := strconv.Atoi(strings.Fields(v + " ")[0]); got != want {
		t.Errorf("log counts %d dropped webhooks, want %d: %s", got, want, line)
	}
}

// queued counts the entries of every webhook stream in Redis (redis-cli
// lists the keys: Redis.Do reads one-line answers only).
func queued(rd *Redis) int {
	keys, err := exec.Command("redis-cli", "-p", strconv.Itoa(rd.Port), "--scan", "--pattern", "fanout:wh:*").Output()
	if err != nil {
		return -1
	}
	total := 0
	for _, k := range strings.Split(strings.TrimSpace(string(keys)), "\n") {
		if k == "" {
			continue
		}
		r, err := rd.Do("XLEN", k)
		if err != nil {
			return -1
		}
		n, _ := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(r), ":"))
		total += n
	}
	return total
}
