package redis_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
)

// TestLatePublicationDropped: messages as Redis hands them to a
// subscribed node, written straight into Redis with PUBLISH: one that
// arrives after a publication sent past its caller's deadline is not
// delivered and is reported through OnLate; one without bounds (an
// older node's), one within them and one in another Redis's clock (after
// a failover) are.
func TestLatePublicationDropped(t *testing.T) {
	srv := startRedis(t)
	h := &seenHandler{}
	var late atomic.Int32
	sub, err := redis.New(redis.Options{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	sub.OnLate(func() { late.Add(1) })
	_ = sub.Start(h)
	sub.Subscribe("app", "x")
	eventually(t, 5*time.Second, "listening", func() bool { return sub.Listening("app", "x") })
	c := clientOf(t, srv)
	for _, m := range []string{
		`{"a":"app","c":"x","e":"e","d":"first","rs":1000,"ru":3000,"rc":7}`,
		`{"a":"app","c":"x","e":"e","d":"sent after the first's deadline","rs":3500,"ru":5500,"rc":7}`,
		`{"a":"app","c":"x","e":"e","d":"late","rs":1010,"ru":3010,"rc":7}`,
		`{"a":"app","c":"x","e":"e","d":"unbounded"}`,
		`{"a":"app","c":"x","e":"e","d":"within","rs":3400,"ru":5400,"rc":7}`,
		`{"a":"app","c":"x","e":"e","d":"another clock","rs":1010,"ru":3010,"rc":8}`,
	} {
		if err := c.Do(context.Background(), c.B().Publish().Channel("fanout:c:app:x").Message(m).Build()).Error(); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"first", "sent after the first's deadline", "unbounded", "within", "another clock"}
	eventually(t, 5*time.Second, "the others delivered", func() bool { return len(h.seen()) >= len(want) })
	if got := h.seen(); !slices.Equal(got, want) {
		t.Fatalf("delivered %q, want %q", got, want)
	}
	if n := late.Load(); n != 1 {
		t.Fatalf("OnLate heard of %d, want 1", n)
	}
}
