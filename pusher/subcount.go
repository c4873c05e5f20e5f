package pusher

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/shard"
)

// Subscription counts, as Pusher documents them
// (https://pusher.com/docs/channels/using_channels/events/#pusherinternalsubscription_count):
// for an app with SubscriptionCount on, the subscribers of every channel
// but presence and user channels get pusher_internal:subscription_count
// with data {"subscription_count": N}, N the channel's subscriptions on
// every node, and the app's webhook gets a subscription_count event
// carrying the same N (https://pusher.com/docs/channels/server_api/webhooks/).
// pusher-js keeps N as channel.subscriptionCount and emits
// pusher:subscription_count on the channel.
//
// Throttle: changes are coalesced per channel. The first change after a
// quiet interval goes out at the next pass of the counter (every 100 ms);
// later ones wait until App.SubscriptionCountInterval (default 1 s) has
// passed since the channel's last event, and then one event carries the
// count of that moment. So a channel gets at most one event per interval
// however large it is or however fast it churns, and a change is never
// more than one interval (plus a pass) late.
//
// N is read from the directory (broker.Directory.ChannelInfo), the source
// the HTTP API's subscription_count info attribute reads, so all three
// agree. With Redis, the node whose subscribers changed reads the
// cluster's count and publishes the event to the channel on every node.
// Two nodes that both change within one interval may publish their reads
// out of order; each node therefore reads the count once more an
// interval after its event and publishes again if it differs, so the
// last event a subscriber gets carries the settled count at most one
// interval later. A count may repeat (a join that leaves the count where
// it was still tells the new subscriber); the webhook goes out only when
// the count this node publishes differs from the one it last published.

// subCountPass is how often the counter looks for due channels.
const subCountPass = 100 * time.Millisecond

// subCountEvent is the event's name on the wire.
const subCountEvent = "pusher_internal:subscription_count"

// subCounts is the node's pending subscription_count work, keyed by
// channel. An entry lives while a change awaits its event or its
// re-read; any goroutine may mark, the counter goroutine sends.
type subCounts struct {
	mu    sync.Mutex
	chans map[shard.Key]*subCount
}

type subCount struct {
	app    *App
	due    bool      // a change awaits an event
	joined bool      // a subscriber joined since the last event: send even if unchanged
	settle bool      // re-read once after an event
	sent   int       // the count this node last published; -1 none
	next   time.Time // no event before this
}

// subCountEnabled says whether changes of a channel's subscribers send
// subscription_count: the app has it on and the channel is neither a
// presence channel (Pusher leaves those out: they have member events) nor
// a user channel.
func subCountEnabled(a *App, channel string) bool {
	k := protocol.KindOf(channel)
	return a.SubscriptionCount && k.Listed() && !k.Presence() && !strings.HasPrefix(channel, "#")
}

// ChannelLeft implements broker.ChannelLeaver: a dead node's subscribers
// of a channel are gone from its count, which is announced again.
func (s *Server) ChannelLeft(appID, channel string) {
	if a := s.AppByID(appID); a != nil && subCountEnabled(a, channel) {
		s.subcounts.mark(a, channel, false)
	}
}

// countSubscribers notes a join (delta > 0) or a leave of a channel with
// subscription counts on. A join is noted once the node listens on the
// channel, so the event published for it reaches the new subscriber.
func (s *Server) countSubscribers(a *App, channel string, delta int) {
	if !subCountEnabled(a, channel) {
		return
	}
	if delta > 0 {
		s.whenListening(a.ID, channel, func() { s.subcounts.mark(a, channel, true) })
		return
	}
	s.subcounts.mark(a, channel, false)
}

func (sc *subCounts) mark(a *App, channel string, joined bool) {
	k := shard.Key{App: a.ID, Name: channel}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if sc.chans == nil {
		sc.chans = map[shard.Key]*subCount{}
	}
	st := sc.chans[k]
	if st == nil {
		st = &subCount{app: a, sent: -1}
		sc.chans[k] = st
	}
	st.due = true
	st.joined = st.joined || joined
}

// dueCount is one channel whose count is to be read now.
type dueCount struct {
	key    shard.Key
	st     *subCount
	joined bool
}

// due takes the channels whose event may go out at now.
func (sc *subCounts) due(now time.Time, dst []dueCount) []dueCount {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for k, st := range sc.chans {
		if (st.due || st.settle) && !now.Before(st.next) {
			dst = append(dst, dueCount{key: k, st: st, joined: st.joined})
			st.due, st.joined, st.settle = false, false, false
		}
	}
	return dst
}

// settled records the count read for d: whether to publish it and
// whether it is news for the webhook; a failed read (ok false) is
// retried an interval later.
func (sc *subCounts) settled(d dueCount, n int, ok bool, now time.Time) (publish, changed bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	st := d.st
	if !ok {
		st.due, st.joined = true, st.joined || d.joined
		st.next = now.Add(st.app.SubscriptionCountInterval)
		return false, false
	}
	changed = n != st.sent
	if changed || d.joined {
		st.sent = n
		st.settle = true
		st.next = now.Add(st.app.SubscriptionCountInterval)
		return true, changed
	}
	if !st.due && !st.settle {
		delete(sc.chans, d.key) // quiet: forget it
	}
	return false, false
}

// unsent puts back a count whose publish failed: it is due again, and
// no longer the one last published.
func (sc *subCounts) unsent(d dueCount) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	d.st.sent = -1
	d.st.due, d.st.joined = true, d.st.joined || d.joined
}

// subCountLoop sends the due subscription counts until the server stops.
func (s *Server) subCountLoop() {
	t := time.NewTicker(subCountPass)
	defer t.Stop()
	var batch []dueCount
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		now := time.Now()
		batch = s.subcounts.due(now, batch[:0])
		for _, d := range batch {
			s.sendSubCount(d, now)
		}
		clear(batch)
	}
}

// subCountWait bounds one read of the count and one publish of it.
const subCountWait = 2 * time.Second

func (s *Server) sendSubCount(d dueCount, now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), subCountWait)
	defer cancel()
	info, err := s.dir.ChannelInfo(ctx, d.key.App, d.key.Name)
	n := info.Subscriptions
	publish, changed := s.subcounts.settled(d, n, err == nil, now)
	if !publish {
		return
	}
	if n > 0 {
		p := broker.Publication{App: d.key.App, Channel: d.key.Name, Event: subCountEvent, Data: subCountData(n)}
		if s.opts.Broker.Publish(ctx, p) != nil {
			s.subcounts.unsent(d) // again next interval
		}
	}
	if changed {
		d.st.app.webhook(WebhookEvent{Name: "subscription_count", Channel: d.key.Name, SubscriptionCount: &n})
	}
}

// subCountData is the event's data as the HTTP API carries data: a JSON
// string holding {"subscription_count":n}.
func subCountData(n int) string {
	return `"{\"subscription_count\":` + strconv.Itoa(n) + `}"`
}
