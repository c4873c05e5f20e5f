package pusher

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/protocol"
	"github.com/fanout/fanout/session"
)

// Recovery on subscribe. A subscription to a channel with history
// registers a recovery on its connection before it joins the channel, so
// no live event can slip past: until the history is read and written,
// the channel's live events for this connection are held back (hold);
// then the missed events go out, then subscription_succeeded, then the
// held events not already replayed. Live events that the replay already
// covered (offset at or before the position read) are dropped until the
// first newer one passes, after which the connection is an ordinary
// subscriber again.

// recoveries are a connection's subscriptions in recovery, by channel,
// and the presence versions of its member lists (setPresenceSeen,
// heldMember). The loop goroutine, or a broker goroutine answering a
// presence join, creates them (conn.filters); delivery workers and the
// pool use them under mu.
type recoveries struct {
	mu sync.Mutex
	m  map[string]*recovery
	// seen is, by presence channel, the presence version of the member
	// list this connection got in its subscription_succeeded (cluster
	// presence only).
	seen map[string]uint64
	// members holds, by presence channel whose member list is not sent
	// yet, the member events that came first: pusher-js replaces its
	// list on subscription_succeeded, so an event before it would be
	// lost (releaseMembersLocked sends them after it).
	members map[string]*heldMembers
	// n is len(m), read without mu so that deliveries to a connection with
	// no recovery in progress skip the lock. A recovery is registered
	// before the connection joins the channel, so a delivery that finds
	// the connection among the subscribers also sees n > 0.
	n atomic.Int32
}

// set and del change m and n; mu is held.
func (r *recoveries) set(channel string, st *recovery) {
	if r.m == nil {
		r.m = map[string]*recovery{}
	}
	r.m[channel] = st
	r.n.Store(int32(len(r.m)))
}

func (r *recoveries) del(channel string) {
	delete(r.m, channel)
	r.n.Store(int32(len(r.m)))
}

// recovery is one subscription's progress.
type recovery struct {
	since     broker.Position // what the client asked to recover from
	asked     bool            // the subscribe carried "recover"
	spec      broker.HistorySpec
	buffering bool              // history not yet written: hold live events
	held      [][]byte          // live frames held while buffering
	heldPos   []broker.Position // their positions
	last      broker.Position   // after buffering: replayed up to here
}

// filters returns c's recoveries, creating them once; any goroutine.
func (c *conn) filters() *recoveries {
	if r := c.recov.Load(); r != nil {
		return r
	}
	c.recov.CompareAndSwap(nil, &recoveries{}) // maps made when first needed
	return c.recov.Load()
}

// setPresenceSeen records the presence version of the member list c is
// sent for channel; any goroutine.
func (c *conn) setPresenceSeen(channel string, version uint64) {
	r := c.filters()
	r.mu.Lock()
	if r.seen == nil {
		r.seen = map[string]uint64{}
	}
	r.seen[channel] = version
	r.mu.Unlock()
}

// forgetPresenceSeen drops channel's version and held member events (c
// left it); loop goroutine.
func (c *conn) forgetPresenceSeen(channel string) {
	if r := c.recov.Load(); r != nil {
		r.mu.Lock()
		delete(r.seen, channel)
		delete(r.members, channel)
		r.mu.Unlock()
	}
}

// heldMembers are member events held until a member list is sent, with
// their presence versions.
type heldMembers struct {
	frames   [][]byte
	versions []uint64
}

// maxHeldMembers bounds the member events held for one subscription;
// past it they go out at once (as without the hold).
const maxHeldMembers = 1024

// holdMembers starts holding channel's member events for c until its
// member list is sent; loop goroutine, before c joins the channel.
func (c *conn) holdMembers(channel string) {
	r := c.filters()
	r.mu.Lock()
	if r.members == nil {
		r.members = map[string]*heldMembers{}
	}
	r.members[channel] = &heldMembers{}
	r.mu.Unlock()
}

// heldMember reports whether the member event b (presence version v)
// must not be written to c now: it is held until c's member list is
// sent, or that list, sent meanwhile, already holds it (a worker may
// have passed Frame's check before the list's version was known);
// delivery workers.
func (c *conn) heldMember(channel string, v uint64, b []byte) bool {
	r := c.recov.Load()
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.members[channel]
	if h == nil {
		seen, ok := r.seen[channel]
		return ok && v != 0 && v <= seen
	}
	if len(h.frames) >= maxHeldMembers {
		return false
	}
	h.frames = append(h.frames, b)
	h.versions = append(h.versions, v)
	return true
}

// releaseMembersLocked sends, after channel's member list, the member
// events held meanwhile that the list does not already hold, and stops
// holding; r.mu is held, so no delivery worker writes one in between.
func (s *Server) releaseMembersLocked(c *conn, r *recoveries, channel string) {
	h := r.members[channel]
	if h == nil {
		return
	}
	delete(r.members, channel)
	if len(r.members) == 0 {
		r.members = nil // most connections hold one presence channel: keep no map
	}
	seen := r.seen[channel]
	for i, b := range h.frames {
		if v := h.versions[i]; v != 0 && v <= seen {
			continue
		}
		s.send(c, b)
	}
}

// startRecovery registers a recovery for channel on c; loop goroutine.
func (c *conn) startRecovery(channel string, rec *broker.Position, spec broker.HistorySpec) {
	r := c.filters()
	st := &recovery{spec: spec, buffering: true}
	if rec != nil {
		st.since, st.asked = *rec, true
	}
	r.mu.Lock()
	r.set(channel, st)
	r.mu.Unlock()
}

// endRecovery forgets channel's recovery (unsubscribe); loop goroutine.
func (c *conn) endRecovery(channel string) {
	if r := c.recov.Load(); r != nil {
		r.mu.Lock()
		r.del(channel)
		r.mu.Unlock()
	}
}

// pendingRecovery returns channel's recovery when its history is still to
// be written.
func (c *conn) pendingRecovery(channel string) *recovery {
	r := c.recov.Load()
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if st := r.m[channel]; st != nil && st.buffering {
		return st
	}
	return nil
}

// held reports whether a live event must not be written now: it is held
// for a recovery in progress, or the replay already sent it. Delivery
// workers call it for events with a position only.
func (c *conn) held(channel string, pos broker.Position, b []byte) bool {
	r := c.recov.Load()
	if r == nil || r.n.Load() == 0 {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.m[channel]
	switch {
	case st == nil:
		return false
	case st.buffering:
		st.held = append(st.held, b)
		st.heldPos = append(st.heldPos, pos)
		return true
	case replayed(st.last, pos):
		return true
	}
	r.del(channel) // the first event past the replay: done
	return false
}

// replayed reports whether pos is at or before last in the same epoch.
func replayed(last, pos broker.Position) bool {
	return !last.IsZero() && pos.Epoch == last.Epoch && pos.Offset <= last.Offset
}

// parseRecover reads the "recover" field of pusher:subscribe data; a
// malformed one is a request that cannot be proven complete (the zero
// Position).
func parseRecover(raw json.RawMessage) *broker.Position {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	// Both members are required: a missing or null offset is not offset
	// 0 (which is a real position, before a stream's first event).
	var f struct {
		Epoch  *string `json:"epoch"`
		Offset *uint64 `json:"offset"`
	}
	if json.Unmarshal(raw, &f) != nil || f.Epoch == nil || f.Offset == nil {
		return &broker.Position{}
	}
	return &broker.Position{Epoch: *f.Epoch, Offset: *f.Offset}
}

// subscribed answers a subscription that is in place: at once, as
// before, for channels without history; else after the recovery, on the
// pool. data is the JSON object for subscription_succeeded ("{}", or the
// presence snapshot). Any goroutine.
func (s *Server) subscribed(c *conn, name string, data []byte) {
	st := c.pendingRecovery(name)
	if st == nil {
		sse := c.transport.sse() // a stream has no subscription events
		if r := c.recov.Load(); r != nil {
			r.mu.Lock()
			if !sse {
				s.send(c, eventFrame("pusher_internal:subscription_succeeded", name, protocol.StringData(data), ""))
			}
			s.releaseMembersLocked(c, r, name)
			r.mu.Unlock()
		} else if !sse {
			s.send(c, eventFrame("pusher_internal:subscription_succeeded", name, protocol.StringData(data), ""))
		}
		if !sse {
			s.replayCache(c, name)
		}
		return
	}
	// The work queue full (a storm beyond its bound): this one connection
	// is told to come back later (it recovers again then) rather than
	// anyone waiting for room.
	if s.work.Submit(func() { s.recover(c, name, st, data) }) != nil {
		s.opts.Metrics.Refused(RefusedRecovery)
		s.closeWith(c, CodeOverCapacity, "server busy, reconnect later", session.Overload, false)
	}
}

// recover reads the channel's history and writes what the client missed,
// subscription_succeeded with "recovered" and "position", and the live
// events held meanwhile; pool goroutine.
func (s *Server) recover(c *conn, name string, st *recovery, data []byte) {
	q := broker.HistoryQuery{Since: st.since}
	if !st.asked {
		q = broker.HistoryQuery{Backward: true, Limit: 1}
	}
	ctx, cancel := context.WithTimeout(context.Background(), historyReadTimeout)
	page, err := s.History(ctx, c.app.ID, name, q)
	cancel()
	ok := err == nil && st.asked && broker.Recovered(st.since, page)
	if err != nil {
		page = broker.HistoryPage{}
	}
	r := c.recov.Load()
	r.mu.Lock()
	if ok {
		for i := range page.Events {
			s.send(c, replayFrame(c, &page.Events[i]))
		}
	}
	if b := recoveredFrame(c, name, data, st.asked, ok, page.Position); b != nil {
		s.send(c, b)
	}
	s.releaseMembersLocked(c, r, name)
	upTo := replayedUpTo(c, ok, page.Position)
	for i, b := range st.held {
		if !replayed(upTo, st.heldPos[i]) {
			s.send(c, b)
		}
	}
	st.held, st.heldPos, st.buffering, st.last = nil, nil, false, upTo
	if upTo.IsZero() && r.m[name] == st {
		r.del(name)
	}
	r.mu.Unlock()
	s.replayCache(c, name)
	if ho, isHO := s.opts.Metrics.(HistoryObserver); isHO && st.asked {
		result := "failed"
		if ok {
			result = "recovered"
		}
		ho.Recovery(c.app.ID, result)
	}
}

// recoveryData adds "recovered" and "position" to the JSON object data.
func recoveryData(data []byte, ok bool, pos broker.Position) []byte {
	out := make([]byte, 0, len(data)+96)
	out = append(out, data[:len(data)-1]...)
	if len(data) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"recovered":`...)
	out = strconv.AppendBool(out, ok)
	out = append(out, `,"position":`...)
	out = appendPosition(out, pos)
	return append(out, '}')
}
