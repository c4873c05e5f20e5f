package ledger

import (
	"sync"
	"time"
)

// Session is one client connection's view: its subscriptions, what it
// received, and how it ended.
type Session struct {
	Name string

	mu        sync.Mutex
	subs      map[string]*subscription
	closed    time.Time
	closeCode int  // 0: no close frame (connection lost or still open)
	left      bool // the client itself ended the session
}

type subscription struct {
	from, until time.Time // until zero: still subscribed
	got         []int
	foreign     int // events whose data was not a ledger payload
}

// Session starts recording a new client connection named name.
func (l *Ledger) Session(name string) *Session {
	s := &Session{Name: name, subs: map[string]*subscription{}}
	l.mu.Lock()
	l.sessions = append(l.sessions, s)
	l.mu.Unlock()
	return s
}

// Subscribed notes that subscription_succeeded for channel arrived now.
func (s *Session) Subscribed(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs[channel] == nil {
		s.subs[channel] = &subscription{from: time.Now()}
	}
}

// Unsubscribed notes that the session left channel now.
func (s *Session) Unsubscribed(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subs[channel]; sub != nil && sub.until.IsZero() {
		sub.until = time.Now()
	}
}

// Received notes an event on channel with data as the client read it.
// It reports the payload's send time (zero for data Payload did not write).
func (s *Session) Received(channel, data string) time.Time {
	seq, at, ok := ParsePayload(data)
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[channel]
	if sub == nil { // an event before subscription_succeeded: record it anyway
		sub = &subscription{}
		s.subs[channel] = sub
	}
	if !ok {
		sub.foreign++
		return time.Time{}
	}
	sub.got = append(sub.got, seq)
	return at
}

// Closed notes how the connection ended: the server's close code, or 0
// when it was lost without a close frame (or closed by the client).
func (s *Session) Closed(code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.IsZero() {
		s.closed, s.closeCode = time.Now(), code
	}
}

// Left notes that the client itself closes the connection now: like an
// unsubscribe, it ends what the session is owed, and events in flight to
// it at that moment are excused.
func (s *Session) Left() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.IsZero() {
		s.closed, s.left = time.Now(), true
	}
}

// CloseCode returns the recorded close code (0 if none).
func (s *Session) CloseCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeCode
}

// Count returns how many ledger events the session received on channel.
func (s *Session) Count(channel string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sub := s.subs[channel]; sub != nil {
		return len(sub.got)
	}
	return 0
}
