package broker_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
)

// A key moves absent → pending (InFlight to others) → done (Duplicate)
// → absent after the window; a released key is claimed again; a full
// store forgets its oldest key first and counts it.
func TestMemoryIdempotencyStates(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	m := broker.NewMemoryIdempotency(3, func() time.Time { return now })
	claim := func(k string) (broker.ClaimState, string) {
		st, tok, err := m.Claim(ctx, k, 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return st, tok
	}
	st, tok := claim("a")
	if st != broker.Claimed || tok == "" {
		t.Fatalf("first claim: %v %q", st, tok)
	}
	if st, _ := claim("a"); st != broker.InFlight {
		t.Fatalf("claim while pending: %v, want InFlight", st)
	}
	_ = m.Release(ctx, "a", "not-the-token")
	if st, _ := claim("a"); st != broker.InFlight {
		t.Fatalf("a release with another token freed the key: %v", st)
	}
	_ = m.Release(ctx, "a", tok)
	st, tok = claim("a")
	if st != broker.Claimed {
		t.Fatalf("claim after release: %v, want Claimed", st)
	}
	_ = m.Confirm(ctx, "a", tok, time.Minute)
	if st, _ := claim("a"); st != broker.Duplicate {
		t.Fatalf("claim after confirm: %v, want Duplicate", st)
	}
	now = now.Add(time.Minute)
	if st, _ := claim("a"); st != broker.Claimed {
		t.Fatalf("claim after the window: %v, want Claimed", st)
	}
	// pending keys whose holder vanished free themselves after the lease
	claim("b")
	now = now.Add(31 * time.Second)
	if st, _ := claim("b"); st != broker.Claimed {
		t.Fatalf("claim after the lease: %v, want Claimed", st)
	}
	for i := range 5 {
		st, tok := claim("k" + strconv.Itoa(i))
		_ = m.Confirm(ctx, "k"+strconv.Itoa(i), tok, time.Minute)
		if st != broker.Claimed {
			t.Fatalf("k%d: %v", i, st)
		}
	}
	if m.Len() != 3 {
		t.Fatalf("holds %d keys, want the cap 3", m.Len())
	}
	if m.EvictedEarly() == 0 {
		t.Fatal("no early eviction counted")
	}
	if st, _ := claim("k4"); st != broker.Duplicate {
		t.Fatalf("newest key forgotten: %v", st)
	}
}

func BenchmarkMemoryIdempotencyClaimConfirm(b *testing.B) {
	ctx := context.Background()
	m := broker.NewMemoryIdempotency(10_000, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		k := strconv.Itoa(i)
		_, tok, _ := m.Claim(ctx, k, time.Second)
		_ = m.Confirm(ctx, k, tok, time.Minute)
	}
}
