package ledger

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Ledger records what publishers sent and what sessions received.
type Ledger struct {
	mu       sync.Mutex
	channels map[string]*channelLog
	sessions []*Session
}

// channelLog is one channel's publications, indexed by sequence number
// (1-based; index 0 unused).
type channelLog struct {
	next int
	pubs []publication
}

type outcome uint8

const (
	pending outcome = iota
	accepted
	refused
)

type publication struct {
	outcome  outcome
	status   int       // HTTP status of the answer (0 for a transport error)
	sent     time.Time // request written
	answered time.Time // answer read
}

// New returns an empty ledger.
func New() *Ledger { return &Ledger{channels: map[string]*channelLog{}} }

func (l *Ledger) channel(name string) *channelLog {
	c := l.channels[name]
	if c == nil {
		c = &channelLog{pubs: make([]publication, 1)}
		l.channels[name] = c
	}
	return c
}

// Next reserves the next sequence number of channel (1, 2, ...) and notes
// that its request is being sent now.
func (l *Ledger) Next(channel string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.channel(channel)
	c.next++
	c.pubs = append(c.pubs, publication{sent: time.Now()})
	return c.next
}

// Accepted notes that the publication seq of channel was answered 200.
func (l *Ledger) Accepted(channel string, seq int) { l.answer(channel, seq, accepted, 200) }

// Refused notes that the publication seq of channel was refused with HTTP
// status (0: the request failed in transport, its fate unknown).
func (l *Ledger) Refused(channel string, seq, status int) { l.answer(channel, seq, refused, status) }

// Record notes the answer of a publication by its status: 200 is
// accepted, anything else refused.
func (l *Ledger) Record(channel string, seq, status int) {
	if status == 200 {
		l.Accepted(channel, seq)
	} else {
		l.Refused(channel, seq, status)
	}
}

func (l *Ledger) answer(channel string, seq int, o outcome, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.channel(channel)
	if seq <= 0 || seq >= len(c.pubs) {
		panic(fmt.Sprintf("ledger: %s#%d was never reserved with Next", channel, seq))
	}
	c.pubs[seq].outcome, c.pubs[seq].status, c.pubs[seq].answered = o, status, time.Now()
}

// Counts returns how many publications were accepted and refused, all
// channels together, and the refusals by status.
func (l *Ledger) Counts() (acc, ref int, byStatus map[int]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.countsLocked()
}

func (l *Ledger) countsLocked() (acc, ref int, byStatus map[int]int) {
	byStatus = map[int]int{}
	for _, c := range l.channels {
		for _, p := range c.pubs[1:] {
			switch p.outcome {
			case accepted:
				acc++
			case refused:
				ref++
				byStatus[p.status]++
			}
		}
	}
	return acc, ref, byStatus
}

// Payload is the event data a publisher sends for seq: the sequence
// number and the send time, so a receiver can measure latency.
func Payload(seq int, at time.Time) string {
	return "seq=" + strconv.Itoa(seq) + " t=" + strconv.FormatInt(at.UnixNano(), 10)
}

// ParsePayload reads what Payload wrote; ok is false for anything else.
func ParsePayload(data string) (seq int, at time.Time, ok bool) {
	s, t, found := strings.Cut(data, " ")
	if !found || !strings.HasPrefix(s, "seq=") || !strings.HasPrefix(t, "t=") {
		return 0, time.Time{}, false
	}
	n, err1 := strconv.Atoi(s[4:])
	ns, err2 := strconv.ParseInt(t[2:], 10, 64)
	if err1 != nil || err2 != nil || n <= 0 {
		return 0, time.Time{}, false
	}
	return n, time.Unix(0, ns), true
}

// FirstAcceptedAfter returns when the first publication of channel ("":
// any channel) sent after t was answered 200; ok is false if none was.
func (l *Ledger) FirstAcceptedAfter(channel string, t time.Time) (at time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, c := range l.channels {
		if channel != "" && name != channel {
			continue
		}
		for _, p := range c.pubs[1:] {
			if p.outcome == accepted && !p.sent.Before(t) && (!ok || p.answered.Before(at)) {
				at, ok = p.answered, true
			}
		}
	}
	return at, ok
}

// FirstDeliveredAfter returns when the first publication of channel sent
// after t that every session subscribed at the time received was
// answered 200: the moment delivery on the channel had resumed after a
// fault at t.
func (l *Ledger) FirstDeliveredAfter(channel string, t time.Time) (at time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.channels[channel]
	if c == nil {
		return time.Time{}, false
	}
	got := map[*Session]map[int]bool{}
	for _, s := range l.sessions {
		s.mu.Lock()
		if sub := s.subs[channel]; sub != nil && !sub.from.IsZero() {
			m := make(map[int]bool, len(sub.got))
			for _, seq := range sub.got {
				m[seq] = true
			}
			got[s] = m
		}
		s.mu.Unlock()
	}
	for seq := 1; seq < len(c.pubs); seq++ {
		p := c.pubs[seq]
		if p.outcome != accepted || p.sent.Before(t) {
			continue
		}
		all := true
		for _, m := range got {
			all = all && m[seq]
		}
		if all {
			return p.answered, true
		}
	}
	return time.Time{}, false
}
