package redis

import (
	"sync"
	"time"
)

// interest is this node's want of one Redis channel: a reference count
// of Subscribe minus Unsubscribe calls (commutative, so calls that arrive
// out of order still add up), and where its subscription stands on the
// pub/sub connection that carries it. Guarded by Broker.mu.
type interest struct {
	refs     int
	ps       *psConn // the connection that carries it; nil until routed
	sent     bool    // the last command sent for it was SUBSCRIBE
	inflight int     // commands sent whose confirmation has not come
	active   bool    // Redis confirmed the subscription
	lost     bool    // it was confirmed, then its connection or slot was lost, or a subscriber was answered before it was (gaveUp); Broker.lost counts these
	listed   bool    // this node may be in the channel's listener set (set before SADD, cleared after SREM)
	inSet    bool    // SADD to the listener set succeeded since the last SREM or relist
	// first is Broker.confirms when Redis first confirmed it since its
	// local subscribers wanted it (refs rose above 0); 0 until then. A
	// confirmation after a lost connection (a Redis restart, a failover)
	// leaves it: those subscribers were told long before.
	first   uint64
	waiters []func() // AwaitListening callbacks until active
}

// idle reports whether nothing wants or tracks the channel any more (a
// negative count is kept: its Subscribe is still on its way; a listed one
// too, until its listener entry is removed).
func (in *interest) idle() bool { return in.refs == 0 && !in.sent && in.inflight == 0 && !in.listed }

// pending reports whether the channel's connection goroutine has work
// for it: a (un)subscribe to send, or a listener entry to remove.
func (in *interest) pending() bool { return (in.refs > 0) != in.sent || (in.refs <= 0 && in.listed) }

// maxBackoff caps the wait between attempts to restore a subscription,
// so delivery resumes within about a second of Redis returning.
const maxBackoff = time.Second

// Subscribe implements broker.Broker.
func (b *Broker) Subscribe(app, channel string) { b.adjust(b.channelName(app, channel), 1) }

// Unsubscribe implements broker.Broker.
func (b *Broker) Unsubscribe(app, channel string) { b.adjust(b.channelName(app, channel), -1) }

// adjust changes the want of a channel and, when that crosses zero, marks
// it for its connection's goroutine, which sends SUBSCRIBE or UNSUBSCRIBE.
func (b *Broker) adjust(name string, delta int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	in := b.subs[name]
	if in == nil {
		in = &interest{}
		b.subs[name] = in
	}
	in.refs += delta
	if in.refs <= 0 {
		b.setLostLocked(in, false) // no local subscriber left to miss anything
		in.first = 0
	}
	if in.pending() {
		b.markLocked(name, in)
	} else if in.idle() {
		delete(b.subs, name)
	}
}

// setActive records a subscription confirmation from Redis; it runs on
// the hook goroutine of p, the connection that got it.
func (b *Broker) setActive(p *psConn, name string, subscribed bool) {
	b.mu.Lock()
	in := b.subs[name]
	if in == nil || in.ps != p {
		b.mu.Unlock()
		return
	}
	if in.inflight > 0 {
		in.inflight--
	} else if !subscribed && in.sent {
		// Unasked: the cluster moved the channel's slot. Route it again.
		if in.refs > 0 && in.active {
			b.setLostLocked(in, true)
		}
		in.sent = false
		b.rerouteLocked()
	}
	var run []func()
	if in.inflight == 0 {
		was := in.active
		in.active = subscribed && in.sent
		if in.active && !was {
			if c := b.confirms.Add(1); in.first == 0 && in.refs > 0 {
				in.first = c
			}
		}
		if in.active {
			b.setLostLocked(in, false)
			run, in.waiters = in.waiters, nil
			if !in.inSet && b.listable(name) {
				p.dirty[name] = struct{}{} // list it (see listeners.go)
				p.wake()
			}
		}
	}
	if in.idle() {
		delete(b.subs, name)
	}
	b.mu.Unlock()
	for _, fn := range run {
		fn()
	}
}

// dropLocked records that in's subscription is gone (its connection was
// lost, or its slot moved to another master): if it had been confirmed
// and local subscribers still want it, publications are refused until it
// is confirmed again (see Publish). b.mu is held.
func (b *Broker) dropLocked(in *interest) {
	if in.refs > 0 && (in.active || in.lost) {
		b.setLostLocked(in, true)
	}
	in.sent, in.inflight, in.active = false, 0, false
}

func (b *Broker) setLostLocked(in *interest, lost bool) {
	if in.lost == lost {
		return
	}
	in.lost = lost
	if lost {
		b.lost.Add(1)
	} else {
		b.lost.Add(-1)
	}
}

// restoring reports whether a publication to the Redis channel name
// would miss this node's own subscribers: their subscription was lost
// and is not confirmed again yet. It costs one atomic load while nothing
// is being restored.
func (b *Broker) restoring(name string) bool {
	if b.lost.Load() == 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	in := b.subs[name]
	return in != nil && in.lost
}

// held reports whether this node has, or is restoring, a subscription to
// the Redis channel name that Redis had first confirmed by the time
// b.confirms read mark. One first confirmed later may be younger than a
// publication sent at mark: Redis may have run that PUBLISH before the
// SUBSCRIBE (the two travel on different connections), and its answer
// come back after the confirmation. One confirmed again later is not:
// its subscribers were subscribed when the publication was sent, and a
// PUBLISH that Redis ran between the lost connection and the new
// SUBSCRIBE missed them, however quickly the subscription came back.
func (b *Broker) held(name string, mark uint64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	in := b.subs[name]
	return in != nil && in.refs > 0 && (in.lost || in.active && in.first != 0 && in.first <= mark)
}

// listenWait bounds AwaitListening while Redis cannot confirm (it is
// down): the client is answered anyway and the subscription is restored
// when Redis returns.
const listenWait = 2 * time.Second

// AwaitListening implements broker.Listener: fn runs once this node's
// subscription to the channel is confirmed by Redis (at once when it
// already is, or when the channel is not wanted), or after listenWait;
// then, until Redis confirms it, the channel refuses publications as a
// lost one does (see gaveUp).
func (b *Broker) AwaitListening(app, channel string, fn func()) {
	name := b.channelName(app, channel)
	b.mu.Lock()
	in := b.subs[name]
	if in == nil || in.active || in.refs <= 0 || b.closed {
		b.mu.Unlock()
		fn()
		return
	}
	var once sync.Once
	call := func() { once.Do(fn) }
	in.waiters = append(in.waiters, call)
	b.mu.Unlock()
	time.AfterFunc(listenWait, func() {
		once.Do(func() { // unless the confirmation ran it first
			b.gaveUp(name)
			fn()
		})
	})
}

// gaveUp records that a subscriber of the Redis channel name is about to
// be told it is subscribed although Redis has not confirmed it: until it
// does, publications there are refused (interest.lost), since Redis
// could take one and reach no one, and that subscriber would miss it.
func (b *Broker) gaveUp(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if in := b.subs[name]; in != nil && in.refs > 0 && !in.active {
		b.setLostLocked(in, true)
	}
}

// Listening reports whether Redis has confirmed this node's subscription
// to a channel, so publications on any node reach it now.
func (b *Broker) Listening(app, channel string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	in := b.subs[b.channelName(app, channel)]
	return in != nil && in.active
}

// sleep waits d unless the broker closes first; it reports whether it
// slept the whole time.
func (b *Broker) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}
