package redis

import (
	"context"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// interest is this node's want of one Redis channel: a reference count
// of Subscribe minus Unsubscribe calls (commutative, so calls that arrive
// out of order still add up), and the one goroutine that holds the Redis
// subscription while refs > 0.
type interest struct {
	refs    int
	running bool
	active  bool               // Redis confirmed the subscription
	cancel  context.CancelFunc // ends the current Receive; nil when none
	waiters []func()           // AwaitListening callbacks until active
}

// maxBackoff caps the wait between attempts to restore a subscription,
// so delivery resumes within about a second of Redis returning.
const maxBackoff = time.Second

// Subscribe implements broker.Broker.
func (b *Broker) Subscribe(app, channel string) { b.adjust(b.channelName(app, channel), 1) }

// Unsubscribe implements broker.Broker.
func (b *Broker) Unsubscribe(app, channel string) { b.adjust(b.channelName(app, channel), -1) }

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
	switch {
	case in.refs > 0 && !in.running:
		in.running = true
		b.wg.Add(1)
		go b.receive(name, in)
	case in.refs <= 0 && in.cancel != nil:
		in.cancel()
		in.cancel = nil
	}
	if in.refs == 0 && !in.running {
		delete(b.subs, name)
	}
}

// receive holds the Redis subscription of one channel while it is
// wanted, restoring it after connection failures.
func (b *Broker) receive(name string, in *interest) {
	defer b.wg.Done()
	backoff := 50 * time.Millisecond
	for {
		ctx, ok := b.receiving(name, in)
		if !ok {
			return
		}
		hook := func(s rueidis.PubSubSubscription) { b.setActive(in, s.Kind == "subscribe" || s.Kind == "ssubscribe") }
		err := b.client.Receive(rueidis.WithOnSubscriptionHook(ctx, hook), b.subscribeCmd(name), b.onMessage)
		b.setActive(in, false)
		switch {
		case b.ctx.Err() != nil:
			// closing; Redis drops the subscription with the connection
		case ctx.Err() != nil:
			b.unsubscribe(name) // no longer wanted (or wanted again: loop)
			backoff = 50 * time.Millisecond
		case err != nil:
			b.opts.Logger.Debug("redis subscription lost, retrying", "channel", name, "err", err)
			if !b.sleep(backoff) {
				continue
			}
			backoff = min(2*backoff, maxBackoff)
		}
	}
}

// receiving decides under the lock whether to (re)subscribe; it returns
// the context of the next Receive, or false when the goroutine must end.
func (b *Broker) receiving(name string, in *interest) (context.Context, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if in.refs <= 0 || b.closed {
		in.running, in.cancel = false, nil
		if in.refs == 0 && b.subs[name] == in {
			delete(b.subs, name)
		}
		return nil, false
	}
	ctx, cancel := context.WithCancel(b.ctx)
	in.cancel = cancel
	return ctx, true
}

func (b *Broker) unsubscribe(name string) {
	ctx, cancel := b.call(nil)
	defer cancel()
	var cmd rueidis.Completed
	if b.opts.Cluster {
		cmd = b.client.B().Sunsubscribe().Channel(name).Build()
	} else {
		cmd = b.client.B().Unsubscribe().Channel(name).Build()
	}
	_ = b.client.Do(ctx, cmd).Error()
}

func (b *Broker) subscribeCmd(name string) rueidis.Completed {
	if b.opts.Cluster {
		return b.client.B().Ssubscribe().Channel(name).Build()
	}
	return b.client.B().Subscribe().Channel(name).Build()
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

func (b *Broker) setActive(in *interest, v bool) {
	b.mu.Lock()
	in.active = v
	var run []func()
	if v {
		run, in.waiters = in.waiters, nil
	}
	b.mu.Unlock()
	for _, fn := range run {
		fn()
	}
}

// listenWait bounds AwaitListening while Redis cannot confirm (it is
// down): the client is answered anyway and the subscription is restored
// when Redis returns.
const listenWait = 2 * time.Second

// AwaitListening implements broker.Listener: fn runs once this node's
// subscription to the channel is confirmed by Redis (at once when it
// already is, or when the channel is not wanted), or after listenWait.
func (b *Broker) AwaitListening(app, channel string, fn func()) {
	b.mu.Lock()
	in := b.subs[b.channelName(app, channel)]
	if in == nil || in.active || in.refs <= 0 || b.closed {
		b.mu.Unlock()
		fn()
		return
	}
	var once sync.Once
	call := func() { once.Do(fn) }
	in.waiters = append(in.waiters, call)
	b.mu.Unlock()
	time.AfterFunc(listenWait, call)
}

// Listening reports whether Redis has confirmed this node's subscription
// to a channel, so publications on any node reach it now.
func (b *Broker) Listening(app, channel string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	in := b.subs[b.channelName(app, channel)]
	return in != nil && in.active
}
