package ledger

import (
	"strings"
	"testing"
	"time"
)

// publish reserves, sends and answers n events on channel, feeding them
// to the sessions in deliver (each receives every event).
func publish(l *Ledger, channel string, n, status int, deliver ...*Session) []int {
	var seqs []int
	for range n {
		seq := l.Next(channel)
		l.Record(channel, seq, status)
		for _, s := range deliver {
			s.Received(channel, Payload(seq, time.Now()))
		}
		seqs = append(seqs, seq)
	}
	return seqs
}

func TestCleanRunPasses(t *testing.T) {
	l := New()
	a, b := l.Session("a"), l.Session("b")
	a.Subscribed("c1")
	b.Subscribed("c1")
	publish(l, "c1", 5, 200, a, b)
	r := l.Check(Options{})
	if !r.OK() || r.Expected != 10 || r.Received != 10 {
		t.Fatalf("clean run: %v", r)
	}
}

func TestSilentlyMissingFails(t *testing.T) {
	l := New()
	a := l.Session("a")
	a.Subscribed("c1")
	publish(l, "c1", 2, 200, a)
	publish(l, "c1", 1, 200) // #3 never reaches a
	publish(l, "c1", 1, 200, a)
	r := l.Check(Options{})
	if r.OK() || len(r.Silent) != 1 || !strings.Contains(r.Silent[0], "#3") {
		t.Fatalf("a gap must be silently missing: %v", r)
	}
}

func TestGapBeforeCloseIsNotExcused(t *testing.T) {
	l := New()
	a := l.Session("a")
	a.Subscribed("c1")
	publish(l, "c1", 1, 200, a)
	publish(l, "c1", 1, 200) // #2 lost
	publish(l, "c1", 1, 200, a)
	publish(l, "c1", 2, 200) // #4, #5 after the close
	a.Closed(4100)
	r := l.Check(Options{})
	if len(r.Silent) != 1 || r.Excused[4100] != 2 {
		t.Fatalf("only the tail after the last received is excused by 4100: %v", r)
	}
}

func TestCloseWithoutReasonFails(t *testing.T) {
	l := New()
	a := l.Session("a")
	a.Subscribed("c1")
	publish(l, "c1", 1, 200, a)
	publish(l, "c1", 1, 200)
	a.Closed(1006)
	if r := l.Check(Options{}); r.OK() {
		t.Fatalf("a close code that says nothing excuses nothing: %v", r)
	}
	// A lost connection (no close frame) is no reason either.
	l2 := New()
	b := l2.Session("b")
	b.Subscribed("c1")
	publish(l2, "c1", 1, 200)
	b.Closed(0)
	if r := l2.Check(Options{}); r.OK() {
		t.Fatalf("no close frame excuses nothing: %v", r)
	}
}

func TestStrictBeforeOverridesReason(t *testing.T) {
	l := New()
	a := l.Session("a")
	a.Subscribed("c1")
	publish(l, "c1", 1, 200)
	drain := time.Now()
	time.Sleep(time.Millisecond)
	publish(l, "c1", 1, 200)
	a.Closed(4200)
	r := l.Check(Options{StrictBefore: drain})
	if len(r.Silent) != 1 || !strings.Contains(r.Silent[0], "#1") || r.Excused[4200] != 1 {
		t.Fatalf("#1 was accepted before the drain and must arrive; #2 is excused: %v", r)
	}
}

func TestDuplicatesDisorderAndPhantoms(t *testing.T) {
	l := New()
	a := l.Session("a")
	a.Subscribed("c1")
	publish(l, "c1", 3, 200)
	for _, seq := range []int{1, 3, 2, 3, 9} {
		a.Received("c1", Payload(seq, time.Now()))
	}
	r := l.Check(Options{})
	if len(r.Disorder) != 3 {
		t.Fatalf("want #2 after #3, #3 twice, #9 never published: %v", r)
	}
}

func TestRefusedNotOwedAndWindowRespected(t *testing.T) {
	l := New()
	publish(l, "c1", 2, 200) // before the subscription: not owed
	a := l.Session("a")
	a.Subscribed("c1")
	publish(l, "c1", 2, 503) // refused: not owed
	publish(l, "c1", 1, 200, a)
	a.Unsubscribed("c1")
	publish(l, "c1", 2, 200) // after: not owed
	r := l.Check(Options{})
	if !r.OK() || r.Expected != 1 || r.Refused != 2 {
		t.Fatalf("only #5 is owed: %v", r)
	}
	// A refused event delivered anyway is counted, not a loss.
	b := l.Session("b")
	b.Subscribed("c2")
	seq := l.Next("c2")
	l.Refused("c2", seq, 503)
	b.Received("c2", Payload(seq, time.Now()))
	if r := l.Check(Options{}); !r.OK() || r.RefusedDelivered != 1 {
		t.Fatalf("refused but delivered: %v", r)
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	at := time.Unix(0, 1234567890)
	seq, got, ok := ParsePayload(Payload(42, at))
	if !ok || seq != 42 || !got.Equal(at) {
		t.Fatalf("got %d %v %v", seq, got, ok)
	}
	for _, bad := range []string{"", "seq=1", "seq=x t=1", "seq=0 t=1", "hello world"} {
		if _, _, ok := ParsePayload(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestFirstAcceptedAfter(t *testing.T) {
	l := New()
	publish(l, "a", 1, 200)
	mark := time.Now()
	publish(l, "a", 1, 503)
	if _, ok := l.FirstAcceptedAfter("a", mark); ok {
		t.Fatal("only a refusal after the mark")
	}
	publish(l, "b", 1, 200)
	if _, ok := l.FirstAcceptedAfter("a", mark); ok {
		t.Fatal("b's acceptance counted for a")
	}
	if at, ok := l.FirstAcceptedAfter("", mark); !ok || at.Before(mark) {
		t.Fatal("b was accepted after the mark")
	}
}

func TestFirstDeliveredAfter(t *testing.T) {
	l := New()
	a, b := l.Session("a"), l.Session("b")
	a.Subscribed("c")
	b.Subscribed("c")
	mark := time.Now()
	publish(l, "c", 1, 200, a) // b missed it
	if _, ok := l.FirstDeliveredAfter("c", mark); ok {
		t.Fatal("#1 did not reach b")
	}
	publish(l, "c", 1, 200, a, b)
	if at, ok := l.FirstDeliveredAfter("c", mark); !ok || at.Before(mark) {
		t.Fatal("#2 reached both")
	}
}

func TestClientLeavingExcusesOnlyTheTail(t *testing.T) {
	l := New()
	a := l.Session("a")
	a.Subscribed("c1")
	publish(l, "c1", 1, 200)    // #1 lost: a gap
	publish(l, "c1", 1, 200, a) // #2
	publish(l, "c1", 1, 200)    // #3 in flight when a leaves
	a.Left()
	r := l.Check(Options{})
	if len(r.Silent) != 1 || !strings.Contains(r.Silent[0], "#1") || r.Left != 1 {
		t.Fatalf("#1 is a gap, #3 was in flight when the client left: %v", r)
	}
}

// An event in flight when a Redis master was killed on purpose may have
// died in that Redis after it answered; one sent after the kill, or
// answered well before it, is silently missing all the same.
func TestDiedInKilledRedis(t *testing.T) {
	l := New()
	a := l.Session("a")
	a.Subscribed("c1")
	publish(l, "c1", 1, 200) // #1: answered before the kill, never arrives
	sent := l.Next("c1")     // #2: sent before the kill, answered after it, never arrives
	killed := time.Now()
	l.Record("c1", sent, 200)
	publish(l, "c1", 1, 200, a)
	publish(l, "c1", 1, 200) // #4: sent after the kill
	r := l.Check(Options{Killed: killed})
	if r.DiedInRedis != 1 || len(r.Silent) != 2 || !strings.Contains(r.Silent[0], "#1 sent at") ||
		!strings.Contains(r.Silent[1], "#4 sent at") || r.OK() {
		t.Fatalf("want #2 died in Redis, #1 and #4 silently missing: %v", r)
	}
	if r := l.Check(Options{Killed: killed, KillSlack: time.Minute}); r.DiedInRedis != 2 || len(r.Silent) != 1 {
		t.Fatalf("with slack, #1 died in Redis too: %v", r)
	}
}
