package session

import "sync/atomic"

// State is one connection's session state: its phase, and once it ends,
// the cause and the close code, packed in one 32-bit word so that a single
// compare-and-swap both claims a transition and records who made it. It
// is the only place that changes a session's phase; every transition is
// one of its methods. The zero value is a session in Handshake.
//
// Word layout: bits 0-7 the Phase, 8-15 the Cause, 16-31 the code (a
// close code of RFC 6455 section 7.4, or the HTTP status of a refusal).
type State struct {
	w atomic.Uint32
}

func pack(p Phase, c Cause, code uint16) uint32 {
	return uint32(p) | uint32(c)<<8 | uint32(code)<<16
}

func phaseOf(w uint32) Phase { return Phase(w) }

// Phase is the session's phase now.
func (s *State) Phase() Phase { return phaseOf(s.w.Load()) }

// Ending is the cause and the code recorded when the session ended or
// started to: zero values while it has not. Code is the close code sent
// or received (0 when neither side sent a close frame), or the HTTP status
// of a refusal.
func (s *State) Ending() (Cause, uint16) {
	w := s.w.Load()
	return Cause(w >> 8), uint16(w >> 16)
}

// move changes the phase to to, recording cause and code, if the phase is
// still one of the set from; it reports whether it did.
func (s *State) move(to Phase, cause Cause, code uint16, from phases) bool {
	for {
		w := s.w.Load()
		if !from.has(phaseOf(w)) {
			return false
		}
		if s.w.CompareAndSwap(w, pack(to, cause, code)) {
			return true
		}
	}
}

// Verify moves Handshake → Verifying: the upgrade's token is checked off
// the event loop. False when the upgrade deadline claimed it first.
func (s *State) Verify() bool {
	return s.move(Verifying, CauseNone, 0, of(Handshake))
}

// Open moves Handshake or Verifying → Open: the request was answered
// (101, or 200 and an event stream). False when the session was aborted
// or refused meanwhile; the caller then undoes what it did for it.
func (s *State) Open() bool {
	return s.move(Open, CauseNone, 0, of(Handshake)|of(Verifying))
}

// Refuse moves Handshake or Verifying → Refused: the request was answered
// with the HTTP error status, no upgrade. False when the session was
// aborted meanwhile.
func (s *State) Refuse(status uint16) bool {
	return s.move(Refused, Refusal, status, of(Handshake)|of(Verifying))
}

// Abort moves from (Handshake or Verifying) → Aborted, recording cause:
// the session is dropped before it was answered. False when it is no
// longer in from, e.g. the upgrade turned it open at the same moment; a
// client that got its 101 never sees a bare FIN after it.
func (s *State) Abort(from Phase, cause Cause) bool {
	if from != Handshake && from != Verifying {
		return false
	}
	return s.move(Aborted, cause, 0, of(from))
}

// HandOff moves Handshake → Closed: the socket leaves for net/http (a
// plain HTTP request) and the session ends without a word of its own.
// False when the upgrade deadline aborted it first.
func (s *State) HandOff() bool {
	return s.move(Closed, HandedOff, 0, of(Handshake))
}

// StartClose moves Open → Closing, recording the close code and its cause
// in the same step: of two parties closing at once exactly one wins, and
// Ending names the winner. The winner writes the transport's last words
// (a close frame, or a final event then FIN); the loser does nothing.
func (s *State) StartClose(code uint16, cause Cause) bool {
	return s.move(Closing, cause, code, of(Open))
}

// Closed moves any phase → Closed once the socket is gone (the loop's
// OnClose) and returns the phase it was in. A session still Open had no
// close started: ifOpen (the client's EOF, or a read error) is recorded as
// its cause, with no code. An earlier cause and code are kept.
func (s *State) Closed(ifOpen Cause) Phase {
	for {
		w := s.w.Load()
		p := phaseOf(w)
		next := pack(Closed, Cause(w>>8), uint16(w>>16))
		if p == Open {
			next = pack(Closed, ifOpen, 0)
		}
		if s.w.CompareAndSwap(w, next) {
			return p
		}
	}
}
