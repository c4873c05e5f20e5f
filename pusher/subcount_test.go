package pusher

import (
	"testing"
	"time"
)

// TestSubCountThrottle drives the coalescing rules on a fake clock: the
// first change goes out at once, later ones wait for the interval and go
// out as one, a re-read follows each event, a join always sends, a count
// that did not change is no webhook, and a failed read is retried.
func TestSubCountThrottle(t *testing.T) {
	const iv = time.Second
	a := &App{SubscriptionCount: true, SubscriptionCountInterval: iv}
	var sc subCounts
	t0 := time.Unix(1000, 0)
	step := func(at time.Time, n int, ok bool) (taken, publish, changed bool) {
		t.Helper()
		ds := sc.due(at, nil)
		if len(ds) > 1 {
			t.Fatalf("%d channels due, want at most 1", len(ds))
		}
		if len(ds) == 0 {
			return false, false, false
		}
		publish, changed = sc.settled(ds[0], n, ok, at)
		return true, publish, changed
	}

	sc.mark(a, "room", true)
	if taken, pub, ch := step(t0, 1, true); !taken || !pub || !ch {
		t.Fatalf("first change: taken %v publish %v changed %v", taken, pub, ch)
	}
	sc.mark(a, "room", false)
	sc.mark(a, "room", true)
	sc.mark(a, "room", true)
	if taken, _, _ := step(t0.Add(iv/2), 3, true); taken {
		t.Fatal("a change within the interval went out at once")
	}
	if taken, pub, ch := step(t0.Add(iv), 3, true); !taken || !pub || !ch {
		t.Fatalf("coalesced changes after the interval: taken %v publish %v changed %v", taken, pub, ch)
	}
	// The re-read an interval later finds the count unchanged: quiet,
	// and the channel is forgotten.
	if taken, pub, _ := step(t0.Add(2*iv), 3, true); !taken || pub {
		t.Fatalf("re-read: taken %v publish %v", taken, pub)
	}
	if len(sc.chans) != 0 {
		t.Fatalf("%d channels kept after the quiet re-read", len(sc.chans))
	}
	// A join and a leave that leave the count where it was: the newcomer
	// still hears it, the webhook does not.
	sc.mark(a, "room", true)
	if taken, pub, _ := step(t0.Add(3*iv), 3, true); !taken || !pub {
		t.Fatal("a join was not told the count")
	}
	sc.mark(a, "room", false)
	if taken, pub, ch := step(t0.Add(4*iv), 3, true); !taken || pub || ch {
		t.Fatalf("an unchanged count after a leave: publish %v changed %v", pub, ch)
	}
	// A failed read is retried an interval later.
	sc.mark(a, "room", false)
	if taken, pub, _ := step(t0.Add(5*iv), 0, false); !taken || pub {
		t.Fatal("a failed read published")
	}
	if taken, _, _ := step(t0.Add(5*iv+iv/2), 2, true); taken {
		t.Fatal("a failed read retried within the interval")
	}
	if taken, pub, ch := step(t0.Add(6*iv), 2, true); !taken || !pub || !ch {
		t.Fatal("a failed read not retried")
	}
}

func TestSubCountEnabled(t *testing.T) {
	on := &App{SubscriptionCount: true}
	for name, want := range map[string]bool{
		"room": true, "private-x": true, "private-encrypted-x": true, "cache-x": true,
		"presence-x": false, "presence-cache-x": false, "#server-to-user-u": false,
	} {
		if got := subCountEnabled(on, name); got != want {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if subCountEnabled(&App{}, "room") {
		t.Error("an app without subscription_count")
	}
}

func TestSubCountData(t *testing.T) {
	if got := subCountData(42); got != `"{\"subscription_count\":42}"` {
		t.Fatal(got)
	}
}
