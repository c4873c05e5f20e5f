package shard

import (
	"testing"
	"time"
)

// A burst of subscribers to an empty cache channel is one miss to report;
// the next report comes after every; a cached event ends the misses.
func TestCacheOrMissReportsOncePerInterval(t *testing.T) {
	h := New[int]()
	k := Key{App: "a", Name: "cache-x"}
	t0 := time.Unix(50000, 0)
	if p, first := h.CacheOrMiss(k, t0, 5*time.Second); p != nil || !first {
		t.Fatalf("first miss: %q %v, want nil true", p, first)
	}
	if p, first := h.CacheOrMiss(k, t0.Add(time.Second), 5*time.Second); p != nil || first {
		t.Fatalf("second miss within the interval: %q %v, want nil false", p, first)
	}
	if _, first := h.CacheOrMiss(k, t0.Add(6*time.Second), 5*time.Second); !first {
		t.Fatal("a miss after the interval was not reported")
	}
	h.SetCache(k, []byte("ev"), t0.Add(7*time.Second), time.Minute)
	if p, first := h.CacheOrMiss(k, t0.Add(8*time.Second), 5*time.Second); string(p) != "ev" || first {
		t.Fatalf("after SetCache: %q %v, want ev false", p, first)
	}
	h.PurgeCache(t0.Add(2 * time.Minute))
	if _, first := h.CacheOrMiss(k, t0.Add(2*time.Minute), 5*time.Second); !first {
		t.Fatal("an expired event still counted as cached")
	}
}
