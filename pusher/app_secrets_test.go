package pusher

import (
	"testing"
	"time"
)

// A rotated secret is accepted next to the new one until the grace ends,
// then only the new; a second rotation keeps only the one it replaces.
func TestSecretRingGrace(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	r := newSecretRing("one")
	if cur, prev := r.get(t0); cur != "one" || prev != "" {
		t.Fatalf("fresh ring: %q %q", cur, prev)
	}
	r.rotate("two", t0.Add(time.Minute))
	if cur, prev := r.get(t0.Add(time.Minute - time.Nanosecond)); cur != "two" || prev != "one" {
		t.Fatalf("in the grace: %q %q", cur, prev)
	}
	if cur, prev := r.get(t0.Add(time.Minute)); cur != "two" || prev != "" {
		t.Fatalf("after the grace: %q %q", cur, prev)
	}
	r.rotate("three", t0.Add(2*time.Minute))
	if cur, prev := r.get(t0.Add(time.Minute)); cur != "three" || prev != "two" {
		t.Fatalf("second rotation: %q %q", cur, prev)
	}
	r.rotate("four", time.Now().Add(-time.Second)) // a grace already over
	a := &App{ID: "a", Key: "k", Secret: "four", secrets: r}
	var tried []string
	a.signedWith(func(s string) bool { tried = append(tried, s); return false })
	if len(tried) != 1 || tried[0] != "four" {
		t.Fatalf("outside its grace only the current secret is tried: %q", tried)
	}
}
