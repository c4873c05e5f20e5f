package redis

import "testing"

// A publication that reached no subscriber while this node was
// subscribed is refused (sentTo: n == 0 and held), also when the
// subscription was lost and confirmed again between its sending and its
// answer (a Redis restart, a failover): the subscribers were told they
// were subscribed long before, and the PUBLISH ran while Redis had no
// subscription for them. Only a subscription first confirmed after the
// publication was sent is no such sign.
func TestHeldAcrossAResubscription(t *testing.T) {
	b := &Broker{subs: map[string]*interest{}}
	const name = "fanout:c:app:news"
	p := newPSConn("") // its goroutine does not run: nothing is sent
	b.subs[name] = &interest{refs: 1, ps: p, sent: true, inflight: 1}
	b.setActive(p, name, true) // first confirmation
	mark := b.confirms.Load()  // a publication is sent
	in := b.subs[name]
	b.mu.Lock()
	b.dropLocked(in) // the pub/sub connection is lost...
	in.sent, in.inflight = true, 1
	b.mu.Unlock()
	b.setActive(p, name, true) // ...and the subscription restored before the answer is read
	if !b.held(name, mark) {
		t.Fatal("a subscription confirmed again after the publication was sent is not held: a PUBLISH that reached nobody would be accepted")
	}
	// A channel first subscribed after the publication was sent: the
	// publication came first, nobody was told they were subscribed.
	const fresh = "fanout:c:app:sport"
	mark = b.confirms.Load()
	b.subs[fresh] = &interest{refs: 1, ps: p, sent: true, inflight: 1}
	b.setActive(p, fresh, true)
	if b.held(fresh, mark) {
		t.Fatal("a subscription first confirmed after the publication was sent counts as held")
	}
	// Unsubscribed and subscribed again: first confirmed anew.
	b.adjust(fresh, -1)
	b.adjust(fresh, 1)
	if f := b.subs[fresh]; f != nil && f.first != 0 {
		t.Fatalf("first kept across a time without subscribers: %d", f.first)
	}
}
