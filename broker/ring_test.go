package broker

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// policy keeps history for channels starting with "h-".
type policy struct {
	mu  sync.Mutex
	got []Publication
}

func (p *policy) HistoryFor(_, channel string) (HistorySpec, bool) {
	if len(channel) > 2 && channel[:2] == "h-" {
		return HistorySpec{Size: 3, TTL: time.Minute}, true
	}
	return HistorySpec{}, false
}
func (p *policy) Deliver(pub Publication)      { p.mu.Lock(); p.got = append(p.got, pub); p.mu.Unlock() }
func (p *policy) TerminateUser(string, string) {}

func startMemory(t *testing.T, now func() time.Time) (*Memory, *policy) {
	m := NewMemory()
	if now != nil {
		m.now = now
	}
	p := &policy{}
	if err := m.Start(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, p
}

func publish(t *testing.T, m *Memory, channel string, n int) []Publication {
	ps := make([]Publication, n)
	for i := range ps {
		ps[i] = Publication{App: "a", Channel: channel, Event: "e", Data: fmt.Sprint(i + 1)}
	}
	if err := m.Publish(context.Background(), ps...); err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestPositionsOnePerEventInOrder(t *testing.T) {
	m, p := startMemory(t, nil)
	ps := publish(t, m, "h-x", 5)
	epoch := ps[0].Position.Epoch
	if epoch == "" {
		t.Fatal("no epoch on a history channel")
	}
	for i, pub := range p.got {
		if pub.Position != (Position{Epoch: epoch, Offset: uint64(i + 1)}) || ps[i].Position != pub.Position {
			t.Fatalf("event %d delivered at %+v, caller saw %+v", i, pub.Position, ps[i].Position)
		}
	}
	plain := publish(t, m, "plain", 1)
	if !plain[0].Position.IsZero() {
		t.Fatalf("channel without history got position %+v", plain[0].Position)
	}
	other := publish(t, m, "h-y", 1)
	if other[0].Position.Epoch == epoch || other[0].Position.Offset != 1 {
		t.Fatalf("second channel shares the stream: %+v", other[0].Position)
	}
}

func TestRingKeepsLastSizeAndReads(t *testing.T) {
	m, _ := startMemory(t, nil)
	ps := publish(t, m, "h-x", 5)
	spec, _ := (&policy{}).HistoryFor("a", "h-x")
	ctx := context.Background()
	page, err := m.ReadHistory(ctx, "a", "h-x", spec, HistoryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := offsets(page.Events); got != "3 4 5" || page.Oldest != 3 || page.Position != ps[4].Position {
		t.Fatalf("whole stream: %s oldest %d at %+v", got, page.Oldest, page.Position)
	}
	cases := []struct {
		q    HistoryQuery
		want string
	}{
		{HistoryQuery{Since: ps[3].Position}, "5"},
		{HistoryQuery{Since: ps[4].Position}, ""},
		{HistoryQuery{Backward: true}, "5 4 3"},
		{HistoryQuery{Backward: true, Limit: 2}, "5 4"},
		{HistoryQuery{Backward: true, Since: ps[3].Position}, "3"},
		{HistoryQuery{Limit: 1}, "3"},
		{HistoryQuery{Since: Position{Epoch: "other", Offset: 4}}, "3 4 5"},
	}
	for _, c := range cases {
		page, _ := m.ReadHistory(ctx, "a", "h-x", spec, c.q)
		if got := offsets(page.Events); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.q, got, c.want)
		}
	}
	// Recovery is provable from 2 (3 is kept) but not from 1 (2 trimmed),
	// nor from another epoch or a future offset.
	for _, c := range []struct {
		since Position
		want  bool
	}{
		{ps[1].Position, true}, {ps[0].Position, false}, {ps[4].Position, true},
		{Position{Epoch: "other", Offset: 4}, false}, {Position{Epoch: ps[0].Position.Epoch, Offset: 9}, false},
	} {
		page, _ := m.ReadHistory(ctx, "a", "h-x", spec, HistoryQuery{Since: c.since})
		if got := Recovered(c.since, page); got != c.want {
			t.Errorf("Recovered from %+v = %v, want %v", c.since, got, c.want)
		}
	}
}

// clock is a fake time the sweeper may read meanwhile.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestStreamExpiresAfterTTL(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m, _ := startMemory(t, c.now)
	spec, _ := (&policy{}).HistoryFor("a", "h-x")
	first := publish(t, m, "h-x", 2)
	c.add(spec.TTL - time.Second)
	page, _ := m.ReadHistory(context.Background(), "a", "h-x", spec, HistoryQuery{})
	if page.Position != first[1].Position || len(page.Events) != 2 {
		t.Fatalf("before the TTL: %+v", page)
	}
	c.add(2 * time.Second)
	page, _ = m.ReadHistory(context.Background(), "a", "h-x", spec, HistoryQuery{})
	if page.Position.Epoch == first[0].Position.Epoch || page.Position.Offset != 0 || len(page.Events) != 0 {
		t.Fatalf("after the TTL the stream must start afresh: %+v", page)
	}
	if Recovered(first[1].Position, page) {
		t.Fatal("recovery across an expired stream reported complete")
	}
	next := publish(t, m, "h-x", 1)
	if next[0].Position != (Position{Epoch: page.Position.Epoch, Offset: 1}) {
		t.Fatalf("first event of the new epoch at %+v, read said %+v", next[0].Position, page.Position)
	}
}

func TestSweepFreesExpiredStreams(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	m, _ := startMemory(t, c.now)
	publish(t, m, "h-x", 1)
	c.add(2 * time.Minute)
	deadline := time.Now().Add(5 * time.Second)
	for {
		m.mu.Lock()
		n := len(m.streams)
		m.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("expired stream still held")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPositionText(t *testing.T) {
	p := Position{Epoch: "ab12", Offset: 41}
	if q, ok := ParsePosition(p.String()); !ok || q != p {
		t.Fatalf("%q read back as %+v %v", p.String(), q, ok)
	}
	for _, bad := range []string{"", "41", ":41", "e:", "e:-1", "e:x"} {
		if _, ok := ParsePosition(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func offsets(ps []Publication) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprint(p.Position.Offset)
	}
	return s
}

// A stream's ring holds what its events need, not its size up front: a
// subscribe creates the stream of a channel that may never get an event
// (the size may be large), and a wrapped ring stays at size.
func TestStreamRingGrowsWithItsEvents(t *testing.T) {
	s := newStream(1_000_000)
	if cap(s.ring) != 0 {
		t.Fatalf("empty stream of size 1,000,000 holds room for %d events", cap(s.ring))
	}
	for i := 0; i < 10; i++ {
		p := Publication{Data: fmt.Sprint(i + 1)}
		s.append(&p, 0, time.Minute)
	}
	if cap(s.ring) > 32 {
		t.Fatalf("10 events hold room for %d", cap(s.ring))
	}
	small := newStream(5)
	for round := 0; round < 2; round++ { // the second round after a reset
		for i := 1; i <= 12; i++ {
			p := Publication{Data: fmt.Sprint(i)}
			small.append(&p, 0, time.Minute)
		}
		if len(small.ring) != 5 || cap(small.ring) >= 10 {
			t.Fatalf("round %d: ring of size 5 holds %d events, room for %d", round, len(small.ring), cap(small.ring))
		}
		page := small.read(HistoryQuery{})
		var got []string
		for _, e := range page.Events {
			got = append(got, e.Data)
		}
		if page.Oldest != 8 || fmt.Sprint(got) != "[8 9 10 11 12]" {
			t.Fatalf("round %d: oldest %d, events %v; want 8 and [8 9 10 11 12]", round, page.Oldest, got)
		}
		small.reset()
	}
}
