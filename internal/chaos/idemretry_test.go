package chaos

import (
	"encoding/json"
	"testing"
	"time"
)

// idemScene is two nodes on one Redis: the survivor, whose watcher
// client is subscribed to "orders" and "other", and the victim, whose
// client is subscribed to "orders", SIGKILLed once both were seen to
// listen. Until the survivor takes the victim for crashed, publishes to
// "orders" are refused.
type idemScene struct {
	survivor *Node
	watcher  *Client
}

func newIdemScene(t *testing.T) idemScene {
	t.Helper()
	rd := StartRedis(t)
	s := idemScene{survivor: Serve(t, ServeOptions{RedisURL: rd.URL()})}
	victim := Serve(t, ServeOptions{RedisURL: rd.URL()})
	s.watcher = dialSubscribed(t, s.survivor, nil, []string{"orders", "other"})
	dialSubscribed(t, victim, nil, []string{"orders"})
	if st, body := s.publish("orders", "warm-up", "warm-up"); st != 200 {
		t.Fatalf("publish with both nodes up: %d %s", st, body)
	}
	victim.Kill()
	return s
}

// publish posts one event with an idempotency key to the survivor.
func (s idemScene) publish(channel, data, key string) (int, string) {
	body, _ := json.Marshal(map[string]any{"name": "paid", "channel": channel, "data": data, "idempotency_key": key})
	return s.survivor.API("POST", "/apps/"+AppID+"/events", nil, body)
}

// retry sends one request until it is answered 200, at a backend's
// retry pace, and returns how many times it was refused (503).
func (s idemScene) retry(t *testing.T, what string, send func() (int, string)) (refused int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, body := send()
		if st == 200 {
			return refused
		}
		if st != 503 || time.Now().After(deadline) {
			t.Fatalf("retry of %s: %d %s", what, st, body)
		}
		refused++
		time.Sleep(100 * time.Millisecond) // the backend's retry pace, not a wait for an outcome
	}
}

// received counts the events with data the watcher got, once it got a
// marker published after them.
func (s idemScene) received(t *testing.T, data string) int {
	t.Helper()
	if st, body := s.publish("other", "marker", "marker"); st != 200 {
		t.Fatalf("marker: %d %s", st, body)
	}
	if _, ok := s.watcher.WaitFor(5*time.Second, func(e Event) bool { return e.Data == "marker" }); !ok {
		t.Fatal("the survivor's subscriber never got the marker")
	}
	n := 0
	for _, e := range s.watcher.Events() {
		if e.Event == "paid" && e.Data == data {
			n++
		}
	}
	return n
}

// deliveredOnce retries send (what) until it is accepted, after at
// least one refusal, and checks that the watcher got the event with data
// once.
func (s idemScene) deliveredOnce(t *testing.T, what, data string, send func() (int, string)) {
	t.Helper()
	refused := s.retry(t, what, send)
	if refused == 0 {
		t.Fatalf("%s: not refused after the kill: the scenario did not happen", what)
	}
	n := s.received(t, data)
	t.Logf("%s refused %d times, then accepted; the survivor's subscriber got %s %d times", what, refused, data, n)
	if n != 1 {
		t.Errorf("%s delivered %d times to one subscriber, want once: a 503 released the idempotency key of an event it had published", data, n)
	}
}

// bothWays runs f by default and with redis.strict_refusals.
func bothWays(t *testing.T, f func(t *testing.T)) {
	t.Run("default", f)
	t.Run("strict", func(t *testing.T) {
		t.Setenv("FANOUT_REDIS_STRICT_REFUSALS", "true") // read by the nodes Serve starts
		f(t)
	})
}

// TestIdempotentRetryAfterRefusalDeliversOnce: a backend publishes an
// event with an idempotency key and retries it with the same key after
// each 503, as docs/idempotency.md tells it to, while a node holding the
// channel has just been SIGKILLed. The surviving node's subscriber must
// get the event once: a 503 that released the key must not have
// delivered it. With redis.strict_refusals a refused publish delivered
// nothing, and the retry is the one delivery.
func TestIdempotentRetryAfterRefusalDeliversOnce(t *testing.T) {
	bothWays(t, func(t *testing.T) {
		s := newIdemScene(t)
		s.deliveredOnce(t, "order-1", "order-1", func() (int, string) { return s.publish("orders", "order-1", "order-1") })
	})
}

// TestIdempotentBatchRetryDeliversOnce: the same with a batch of two
// events with their own keys, one to a channel no dead node holds: the
// batch is refused for the other event, and its retry must not deliver
// the first one again ("A batch that repeats some keys delivers only the
// events whose keys are new", docs/idempotency.md).
func TestIdempotentBatchRetryDeliversOnce(t *testing.T) {
	bothWays(t, func(t *testing.T) {
		s := newIdemScene(t)
		body, _ := json.Marshal(map[string]any{"batch": []map[string]any{
			{"name": "paid", "channel": "other", "data": "batch-other", "idempotency_key": "batch-other"},
			{"name": "paid", "channel": "orders", "data": "batch-orders", "idempotency_key": "batch-orders"},
		}})
		s.deliveredOnce(t, "the batch", "batch-other", func() (int, string) {
			return s.survivor.API("POST", "/apps/"+AppID+"/batch_events", nil, body)
		})
	})
}
