package redis

import (
	"errors"
	"time"

	"github.com/redis/rueidis"
)

// psConn is one dedicated pub/sub connection: every channel this node
// wants (standalone Redis), or every channel whose slot one cluster master
// owns, over one socket and one goroutine. Redis sends a channel's
// messages in order and rueidis calls the hooks of one connection one at
// a time, so each channel keeps its order.
type psConn struct {
	addr  string              // cluster master; "" for standalone
	kick  chan struct{}       // dirty has work
	dirty map[string]struct{} // channels to (un)subscribe; Broker.mu
}

func newPSConn(addr string) *psConn {
	return &psConn{addr: addr, kick: make(chan struct{}, 1), dirty: map[string]struct{}{}}
}

func (p *psConn) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// subscribeBatch bounds the channels of one SUBSCRIBE command and of one
// pipeline round trip.
const subscribeBatch = 500

var errPubSubClosed = errors.New("redis: pub/sub connection closed")

// markLocked queues a channel for its connection's goroutine; b.mu is
// held.
func (b *Broker) markLocked(name string, in *interest) {
	if in.ps == nil {
		in.ps = b.routeLocked(name)
		if in.ps == nil { // cluster layout unknown yet
			b.rerouteLocked()
			return
		}
	}
	in.ps.dirty[name] = struct{}{}
	in.ps.wake()
}

// psConnLocked returns the connection for addr, starting it if needed.
func (b *Broker) psConnLocked(addr string) *psConn {
	p := b.conns[addr]
	if p == nil && !b.closed {
		p = newPSConn(addr)
		b.conns[addr] = p
		b.wg.Add(1)
		go b.runPubSub(p)
	}
	return p
}

// runPubSub holds one pub/sub connection for the broker's life, opening
// it again after failures and resubscribing everything it carries.
func (b *Broker) runPubSub(p *psConn) {
	defer b.wg.Done()
	backoff := 50 * time.Millisecond
	for b.ctx.Err() == nil {
		dc, release, err := b.dedicate(p)
		if err == nil {
			hooks := rueidis.PubSubHooks{
				OnMessage:      b.onMessage,
				OnSubscription: func(s rueidis.PubSubSubscription) { b.confirmed(p, s) },
			}
			errs := dc.SetPubSubHooks(hooks)
			b.resetConn(p)
			var served bool
			served, err = b.servePubSub(p, dc, errs)
			dc.Close()
			for range errs { // hooks are done once it closes
			}
			release()
			if served {
				backoff = 50 * time.Millisecond
			}
		}
		if b.ctx.Err() != nil {
			return
		}
		b.opts.Logger.Debug("redis pub/sub connection lost, retrying", "node", p.addr, "err", err)
		if b.opts.Cluster {
			b.mu.Lock()
			b.rerouteLocked()
			b.mu.Unlock()
		}
		b.sleep(backoff)
		backoff = min(2*backoff, maxBackoff)
	}
}

// dedicate opens p's connection: a client of its own to the Redis server
// (standalone) or to the master (cluster), without rueidis's reply
// timeout and background PING, so a Redis that stalls (a freeze, a long
// fork) keeps the connection, its subscriptions and the messages it had
// queued on it; TCP keepalive still ends it when the peer is gone. release
// closes the client once the connection is done.
func (b *Broker) dedicate(p *psConn) (dc rueidis.DedicatedClient, release func(), err error) {
	co := b.psOpts
	if b.opts.Cluster {
		co.InitAddress = []string{p.addr}
	}
	c, err := rueidis.NewClient(co)
	if err != nil {
		if c != nil {
			c.Close()
		}
		return nil, nil, err
	}
	dc, _ = c.Dedicate()
	return dc, c.Close, nil
}

// resetConn marks every channel of p as not subscribed: a fresh
// connection holds no subscriptions.
func (b *Broker) resetConn(p *psConn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for name, in := range b.subs {
		if in.ps != p {
			continue
		}
		b.dropLocked(in)
		if in.refs > 0 {
			p.dirty[name] = struct{}{}
		} else if in.idle() {
			delete(b.subs, name)
		}
	}
	p.wake()
}

// servePubSub sends the queued (un)subscriptions until the connection
// fails or the broker closes; served says whether any were sent.
func (b *Broker) servePubSub(p *psConn, dc rueidis.DedicatedClient, errs <-chan error) (served bool, err error) {
	for {
		select {
		case <-p.kick:
		case e, ok := <-errs:
			if !ok || e == nil {
				e = errPubSubClosed
			}
			return served, e
		case <-b.ctx.Done():
			return served, nil
		}
		subs, unsubs, list, unlist := b.takeDirty(p)
		if len(unlist) > 0 { // before their unsubscribe, which takeDirty holds back
			ok := b.unlist(unlist)
			b.listed(unlist, false, ok)
			if !ok {
				b.sleep(listRetry)
			}
		}
		if err := b.sendSubs(dc, subs, unsubs); err != nil {
			return served, err
		}
		served = served || len(subs) > 0
		if len(list) > 0 {
			ok := b.list(list)
			b.listed(list, true, ok)
			if !ok {
				b.sleep(listRetry)
			}
		}
	}
}

// takeDirty turns p's queued channels into the commands they need and
// records them as sent. A channel no longer wanted whose listener entry
// may exist goes to unlist first, and is unsubscribed on a later round,
// once it is unlisted; a confirmed subscription not in its listener set
// yet goes to list (marked listed before the SADD is sent, so nothing
// can leave an entry behind unnoticed).
func (b *Broker) takeDirty(p *psConn) (subs, unsubs, list, unlist []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for name := range p.dirty {
		delete(p.dirty, name)
		in := b.subs[name]
		if in == nil || in.ps != p {
			continue
		}
		want := in.refs > 0
		if !want && in.listed {
			unlist = append(unlist, name)
			continue
		}
		if want && in.sent && in.active && !in.inSet && b.listable(name) {
			in.listed = true
			list = append(list, name)
			continue
		}
		if want == in.sent {
			if in.idle() {
				delete(b.subs, name)
			}
			continue
		}
		in.sent = want
		in.inflight++
		if want {
			subs = append(subs, name)
		} else {
			in.active = false
			unsubs = append(unsubs, name)
		}
	}
	return subs, unsubs, list, unlist
}

// sendSubs pipelines the commands in batches. Standalone Redis takes many
// channels per command; a cluster takes one slot per command, so one
// channel each.
func (b *Broker) sendSubs(dc rueidis.DedicatedClient, subs, unsubs []string) error {
	var cmds rueidis.Commands
	add := func(names []string, sub bool) {
		step := subscribeBatch
		if b.opts.Cluster {
			step = 1
		}
		for i := 0; i < len(names); i += step {
			cmds = append(cmds, b.subCmd(dc, names[i:min(i+step, len(names))], sub))
		}
	}
	add(unsubs, false)
	add(subs, true)
	for len(cmds) > 0 {
		n := min(len(cmds), subscribeBatch)
		// No timeout: giving up on a stalled Redis would close the
		// connection and lose what it queued for us (see dedicate).
		for _, r := range dc.DoMulti(b.ctx, cmds[:n]...) {
			if err := r.Error(); err != nil {
				return err
			}
		}
		cmds = cmds[n:]
	}
	return nil
}

func (b *Broker) subCmd(dc rueidis.DedicatedClient, names []string, sub bool) rueidis.Completed {
	switch {
	case b.opts.Cluster && sub:
		return dc.B().Ssubscribe().Channel(names...).Build()
	case b.opts.Cluster:
		return dc.B().Sunsubscribe().Channel(names...).Build()
	case sub:
		return dc.B().Subscribe().Channel(names...).Build()
	default:
		return dc.B().Unsubscribe().Channel(names...).Build()
	}
}

// confirmed handles a (un)subscribe confirmation from p's connection.
func (b *Broker) confirmed(p *psConn, s rueidis.PubSubSubscription) {
	switch s.Kind {
	case "subscribe", "ssubscribe":
		b.setActive(p, s.Channel, true)
	case "unsubscribe", "sunsubscribe":
		b.setActive(p, s.Channel, false)
		b.mu.Lock()
		in := b.subs[s.Channel]
		gone := in == nil || in.refs == 0
		b.mu.Unlock()
		if gone {
			b.late.forget(s.Channel)
		}
	}
}
