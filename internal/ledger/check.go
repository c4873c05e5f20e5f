package ledger

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Reasons are the close codes that explain missing events by default:
// 4100 over capacity or slow consumer, 4200 server going away (drain),
// 4201 pong not received. 1006 (connection lost without a close frame,
// RFC 6455 section 7.1.5) is not among them: only a scenario that kills
// the node on purpose may add it. The ranges are Pusher's
// (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#error-codes).
var Reasons = []int{4100, 4200, 4201}

// Options tune Check. The zero value uses Reasons and excuses nothing
// unconditionally.
type Options struct {
	// Reasons are the close codes that excuse events missing after the
	// last one received; default Reasons.
	Reasons []int
	// StrictBefore: an event answered 200 before this instant is never
	// excused, whatever the close code (a drain must flush what it
	// accepted before it began). Zero: no such instant.
	StrictBefore time.Time
	// Killed is when the test SIGKILLed a Redis master on purpose. Redis
	// writes a command's reply before the messages it queued for
	// subscribers (it serves its clients with pending output newest
	// first), so a publication it ran just before dying can be answered
	// 200 and reach some subscribers, or none. Such an event, sent
	// before Killed and answered after Killed minus KillSlack (the
	// longest Redis may take between writing the reply and the
	// messages), is counted in Report.DiedInRedis instead of Silent. One
	// answered earlier, or sent after Killed, never is. Zero Killed: no
	// such instant.
	Killed    time.Time
	KillSlack time.Duration
}

// Report is the outcome of Check.
type Report struct {
	Accepted, Refused  int // publications, all channels
	Sessions           int
	Expected, Received int // (session, event) pairs expected and received
	// Silent lists events missing without a reason: always a failure.
	Silent []string
	// SilentBy counts the silently missing events by session name.
	SilentBy map[string]int
	// Disorder lists duplicates, out-of-order and unknown events.
	Disorder []string
	// Excused counts missing events excused by a close code, by code.
	Excused map[int]int
	// Left counts events in flight when the client unsubscribed or
	// closed the connection itself, after the last one it received.
	Left int
	// DiedInRedis counts (session, event) pairs missing because the
	// Redis that ran the event was killed (Options.Killed).
	DiedInRedis int
	// RefusedDelivered counts events refused with a non-200 that were
	// delivered anyway (an ambiguous answer, e.g. a timeout, not a loss).
	RefusedDelivered int
}

// OK reports whether nothing went silently missing and nothing arrived
// twice or out of order.
func (r Report) OK() bool { return len(r.Silent) == 0 && len(r.Disorder) == 0 }

// String summarises the report, listing at most ten problems of each kind.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ledger: %d accepted, %d refused; %d sessions; %d of %d expected deliveries received; excused %v; in flight when the client left %d; refused-but-delivered %d",
		r.Accepted, r.Refused, r.Sessions, r.Received, r.Expected, r.Excused, r.Left, r.RefusedDelivered)
	if r.DiedInRedis > 0 {
		fmt.Fprintf(&b, "; died in the killed Redis %d", r.DiedInRedis)
	}
	if len(r.SilentBy) > 0 {
		fmt.Fprintf(&b, "; silently missing by session %v", r.SilentBy)
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"silently missing", r.Silent}, {"disorder", r.Disorder}} {
		if len(l.list) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%d %s:", len(l.list), l.name)
		for i, s := range l.list {
			if i == 10 {
				fmt.Fprintf(&b, "\n  ... %d more", len(l.list)-10)
				break
			}
			b.WriteString("\n  " + s)
		}
	}
	return b.String()
}

// Check compares every session with the publications. Call it once the
// publishers are done and every session has ended or been given time to
// receive what it should.
func (l *Ledger) Check(o Options) Report {
	if o.Reasons == nil {
		o.Reasons = Reasons
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var r Report
	r.Accepted, r.Refused, _ = l.countsLocked()
	r.Sessions = len(l.sessions)
	r.Excused, r.SilentBy = map[int]int{}, map[string]int{}
	for _, s := range l.sessions {
		s.mu.Lock()
		for _, name := range sortedKeys(s.subs) {
			l.checkSub(&r, o, s, name, s.subs[name])
		}
		s.mu.Unlock()
	}
	return r
}

// checkSub checks one session's subscription to one channel.
func (l *Ledger) checkSub(r *Report, o Options, s *Session, name string, sub *subscription) {
	c := l.channels[name]
	if c == nil {
		c = &channelLog{pubs: make([]publication, 1)}
	}
	who := fmt.Sprintf("%s %s", s.Name, name)
	last, got := 0, make(map[int]bool, len(sub.got))
	for _, seq := range sub.got {
		switch {
		case seq >= len(c.pubs):
			r.Disorder = append(r.Disorder, fmt.Sprintf("%s: #%d was never published", who, seq))
		case got[seq]:
			r.Disorder = append(r.Disorder, fmt.Sprintf("%s: #%d twice", who, seq))
		case seq < last:
			r.Disorder = append(r.Disorder, fmt.Sprintf("%s: #%d after #%d", who, seq, last))
		}
		if seq < len(c.pubs) && c.pubs[seq].outcome == refused {
			r.RefusedDelivered++
		}
		got[seq] = true
		last = max(last, seq)
	}
	r.Received += len(got)
	end := sub.until
	if end.IsZero() || (!s.closed.IsZero() && s.closed.Before(end)) {
		end = s.closed
	}
	if sub.from.IsZero() {
		return // never subscribed: nothing was owed
	}
	for seq := 1; seq < len(c.pubs); seq++ {
		p := c.pubs[seq]
		if p.outcome != accepted || p.sent.Before(sub.from) || (!end.IsZero() && p.answered.After(end)) {
			continue
		}
		r.Expected++
		if got[seq] {
			continue
		}
		if seq > last && (s.left || !sub.until.IsZero()) { // in flight when the client left
			r.Left++
			continue
		}
		excusable := seq > last && slices.Contains(o.Reasons, s.closeCode) &&
			(o.StrictBefore.IsZero() || !p.answered.Before(o.StrictBefore))
		if excusable {
			r.Excused[s.closeCode]++
			continue
		}
		if !o.Killed.IsZero() && p.sent.Before(o.Killed) && p.answered.After(o.Killed.Add(-o.KillSlack)) {
			r.DiedInRedis++
			continue
		}
		r.SilentBy[s.Name]++
		r.Silent = append(r.Silent, fmt.Sprintf("%s: #%d sent at %s, accepted at %s, not received (last received #%d, close code %d)",
			who, seq, p.sent.Format("15:04:05.000"), p.answered.Format("15:04:05.000"), last, s.closeCode))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
