package pusher

import (
	"fmt"
	"strings"
	"testing"
)

// TestWatchlistOf: user_data's watchlist, at and past Pusher's limit of
// 100 ids, with ids as strings or numbers; apps without watchlist events
// ignore it.
func TestWatchlistOf(t *testing.T) {
	on := &App{WatchlistEvents: true}
	ids := func(n int) string {
		var b []string
		for i := range n {
			b = append(b, fmt.Sprintf("%q", fmt.Sprint("u", i)))
		}
		return `{"id":"w","watchlist":[` + strings.Join(b, ",") + `]}`
	}
	if got, bad := watchlistOf(on, ids(100)); bad != "" || len(got) != 100 || got[99] != "u99" {
		t.Fatalf("100 ids: %d ids, %q", len(got), bad)
	}
	if _, bad := watchlistOf(on, ids(101)); !strings.Contains(bad, "watchlist has 101 user ids, over the limit of 100") {
		t.Fatalf("101 ids: %q", bad)
	}
	if got, bad := watchlistOf(on, `{"id":"w","watchlist":["a",42]}`); bad != "" || strings.Join(got, ",") != "a,42" {
		t.Fatalf("string and number ids: %v %q", got, bad)
	}
	for _, ud := range []string{`{"id":"w","watchlist":[{"id":"a"}]}`, `{"id":"w","watchlist":[""]}`, `{"id":"w","watchlist":[null]}`} {
		if _, bad := watchlistOf(on, ud); bad == "" {
			t.Errorf("%s accepted", ud)
		}
	}
	if got, bad := watchlistOf(on, `{"id":"w"}`); bad != "" || len(got) != 0 {
		t.Fatalf("no watchlist: %v %q", got, bad)
	}
	if got, bad := watchlistOf(&App{}, ids(101)); bad != "" || got != nil {
		t.Fatalf("app without watchlist events: %v %q", got, bad)
	}
}

func TestWatchlistData(t *testing.T) {
	if got := string(watchlistData("online", []string{"a", `b"c`})); got != `{"events":[{"name":"online","user_ids":["a","b\"c"]}]}` {
		t.Fatal(got)
	}
}
