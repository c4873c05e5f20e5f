package poller

import (
	"errors"
	"testing"
)

// TestCorkHoldsWritesInOrderUntilUncork: what Cork writes and every write
// after it stay queued on a writable socket until Uncork, then go out in
// order, at once.
func TestCorkHoldsWritesInOrderUntilUncork(t *testing.T) {
	sc, _, readAll := acceptOne(t, Options{Loops: 1})
	if err := sc.Cork([]byte("head;"), -1); err != nil {
		t.Fatal(err)
	}
	_ = sc.Write([]byte("one;"))
	_ = sc.WriteBatch([][]byte{[]byte("two;"), []byte("three;")}, -1)
	if q, want := sc.Queued(), len("head;one;two;three;"); q != want {
		t.Fatalf("%d bytes queued while corked, want all %d held", q, want)
	}
	sc.Uncork()
	if q := sc.Queued(); q != 0 {
		t.Fatalf("%d bytes still queued after Uncork on an idle socket", q)
	}
	_ = sc.Write([]byte("four;"))
	if got := string(readAll()); got != "head;one;two;three;four;" {
		t.Fatalf("peer read %q", got)
	}
}

// TestCorkedDropKeepsHead: a slow consumer's drop on a corked connection
// discards what was held behind the head, never the head itself.
func TestCorkedDropKeepsHead(t *testing.T) {
	sc, _, readAll := acceptOne(t, Options{Loops: 1})
	_ = sc.Cork([]byte("head;"), -1)
	_ = sc.Write([]byte("backlog;"))
	sc.CloseWith([]byte("final"), true)
	if got := string(readAll()); got != "head;final" {
		t.Fatalf("peer read %q, want the head, then the final frame", got)
	}
}

// TestCloseUncorks: Close on a corked connection flushes what is held,
// then sends FIN.
func TestCloseUncorks(t *testing.T) {
	sc, _, readAll := acceptOne(t, Options{Loops: 1})
	_ = sc.Cork([]byte("head;"), -1)
	_ = sc.Write([]byte("body"))
	if got := string(readAll()); got != "head;body" {
		t.Fatalf("peer read %q", got)
	}
}

// TestCorkedQueueIsBounded: held bytes count against the queue bound.
func TestCorkedQueueIsBounded(t *testing.T) {
	sc, _, _ := acceptOne(t, Options{Loops: 1})
	_ = sc.Cork([]byte("head;"), -1)
	if err := sc.WriteLimit(make([]byte, 100), 64); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("write past the bound while corked: %v, want ErrQueueFull", err)
	}
	if err := sc.WriteBatch([][]byte{make([]byte, 40), make([]byte, 40)}, 64); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("batch past the bound while corked: %v, want ErrQueueFull", err)
	}
}
