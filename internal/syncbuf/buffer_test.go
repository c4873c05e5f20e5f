package syncbuf

import (
	"strings"
	"sync"
	"testing"
	"time"
)

// Writers on several goroutines while a reader waits: every write is
// kept whole, and the waiter wakes on the last one (run with -race).
func TestConcurrentWritesWakeTheWaiter(t *testing.T) {
	var b Buffer
	const writers, lines = 8, 200
	waited := make(chan bool)
	go func() { waited <- b.WaitCount("line\n", writers*lines, time.Minute) }()
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range lines {
				if n, err := b.Write([]byte("line\n")); n != 5 || err != nil {
					t.Errorf("Write = %d, %v", n, err)
				}
			}
		})
	}
	wg.Wait()
	if !<-waited {
		t.Fatalf("WaitCount gave up with %d lines kept", strings.Count(b.String(), "line\n"))
	}
	if got := b.String(); got != strings.Repeat("line\n", writers*lines) {
		t.Fatalf("kept %d bytes, want %d whole lines", len(got), writers*lines)
	}
}

// Max keeps the start; what comes after is reported written and dropped.
func TestMaxKeepsTheStart(t *testing.T) {
	b := Buffer{Max: 10}
	for _, w := range []string{"0123", "456789abc", "z"} {
		if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
			t.Fatalf("Write(%q) = %d, %v; want %d, nil", w, n, err, len(w))
		}
	}
	if got := b.String(); got != "0123456789" {
		t.Fatalf("kept %q, want the first 10 bytes", got)
	}
}

// WaitCount reports false when the text does not come within its bound,
// and counts occurrences, not writes.
func TestWaitCountCounts(t *testing.T) {
	var b Buffer
	b.Write([]byte("pong pong"))
	if !b.WaitCount("pong", 2, time.Minute) {
		t.Fatal("two pongs kept, WaitCount(2) said no")
	}
	if b.WaitCount("pong", 3, 10*time.Millisecond) {
		t.Fatal("two pongs kept, WaitCount(3) said yes")
	}
}
