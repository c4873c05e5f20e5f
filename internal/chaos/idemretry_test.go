package chaos

import (
	"encoding/json"
	"testing"
	"time"
)

// TestIdempotentRetryAfterRefusalDeliversOnce: a backend publishes an
// event with an idempotency key and retries it with the same key after
// each 503, as docs/idempotency.md tells it to, while a node holding the
// channel has just been SIGKILLed (its listener entry refuses publishes
// until the crash is detected). The surviving node's subscriber must get
// the event once: a 503 that released the key must not have delivered
// it. With redis.strict_refusals a refused publish delivered nothing, and
// the retry is the one delivery.
func TestIdempotentRetryAfterRefusalDeliversOnce(t *testing.T) {
	t.Run("default", idempotentRetryAfterRefusal)
	t.Run("strict", func(t *testing.T) {
		t.Setenv("FANOUT_REDIS_STRICT_REFUSALS", "true") // read by the nodes Serve starts
		idempotentRetryAfterRefusal(t)
	})
}

func idempotentRetryAfterRefusal(t *testing.T) {
	rd := StartRedis(t)
	survivor := Serve(t, ServeOptions{RedisURL: rd.URL()})
	victim := Serve(t, ServeOptions{RedisURL: rd.URL()})
	const ch = "orders"
	watcher := dialSubscribed(t, survivor, nil, []string{ch})
	dialSubscribed(t, victim, nil, []string{ch})

	publish := func(data, key string) (int, string) {
		body, _ := json.Marshal(map[string]any{"name": "paid", "channel": ch, "data": data, "idempotency_key": key})
		return survivor.API("POST", "/apps/"+AppID+"/events", nil, body)
	}
	if st, body := publish("warm-up", "warm-up"); st != 200 {
		t.Fatalf("publish with both nodes up: %d %s", st, body)
	}
	victim.Kill()
	refused := 0
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, body := publish("order-1", "order-1")
		if st == 200 {
			break
		}
		if st != 503 || time.Now().After(deadline) {
			t.Fatalf("retry of order-1: %d %s", st, body)
		}
		refused++
		time.Sleep(100 * time.Millisecond) // the backend's retry pace, not a wait for an outcome
	}
	if refused == 0 {
		t.Fatal("no publish refused after the kill: the scenario did not happen")
	}
	if st, body := publish("marker", "marker"); st != 200 {
		t.Fatalf("marker: %d %s", st, body)
	}
	if _, ok := watcher.WaitFor(5*time.Second, func(e Event) bool { return e.Event == "paid" && e.Data == "marker" }); !ok {
		t.Fatal("the survivor's subscriber never got the marker")
	}
	n := 0
	for _, e := range watcher.Events() {
		if e.Event == "paid" && e.Data == "order-1" {
			n++
		}
	}
	t.Logf("order-1 refused %d times, then accepted; the survivor's subscriber got it %d times", refused, n)
	if n != 1 {
		t.Errorf("order-1 delivered %d times to one subscriber, want once: a refusal that released its idempotency key had delivered it", n)
	}
}
