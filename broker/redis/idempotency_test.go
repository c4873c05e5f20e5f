package redis_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// Two nodes claiming one key at once: exactly one wins, the other sees
// it in flight; the winner's release lets the other claim it, and after
// a confirm both see a duplicate until the window ends.
func TestRedisIdempotencyAcrossNodes(t *testing.T) {
	srv := startRedis(t)
	var nodes []*redis.Broker
	for range 2 {
		b, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "idemtest"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		nodes = append(nodes, b)
	}
	ctx := context.Background()
	for round := range 20 {
		key := "race-" + string(rune('a'+round))
		var wg sync.WaitGroup
		states := make([]broker.ClaimState, 2)
		tokens := make([]string, 2)
		for i, b := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if states[i], tokens[i], err = b.Claim(ctx, key, 30*time.Second); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		won := 0
		for i, st := range states {
			if st == broker.Claimed {
				won = i
			}
		}
		if states[0] == states[1] || states[1-won] != broker.InFlight {
			t.Fatalf("%s: claims %v, want one Claimed and one InFlight", key, states)
		}
		if err := nodes[won].Release(ctx, key, tokens[won]); err != nil {
			t.Fatal(err)
		}
		st, tok, err := nodes[1-won].Claim(ctx, key, 30*time.Second)
		if err != nil || st != broker.Claimed {
			t.Fatalf("claim after release: %v %v", st, err)
		}
		if err := nodes[1-won].Confirm(ctx, key, tok, 300*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if st, _, _ := nodes[won].Claim(ctx, key, 30*time.Second); st != broker.Duplicate {
			t.Fatalf("claim after confirm: %v, want Duplicate", st)
		}
	}
	// keys expire with their window (PTTL is -1 without an expiry, -2
	// once gone)
	if ttl, err := srv.do("PTTL", "idemtest:idem:race-t"); err != nil || ttl == ":-1" || ttl == ":-2" {
		t.Fatalf("the last done key: PTTL %q %v, want its window left", ttl, err)
	}
}
