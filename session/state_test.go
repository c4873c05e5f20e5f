package session

import (
	"sync"
	"testing"
)

// at returns a State in phase p, reached by legal transitions only.
func at(t *testing.T, p Phase) *State {
	t.Helper()
	s := new(State)
	ok := true
	switch p {
	case Handshake:
	case Verifying:
		ok = s.Verify()
	case Open:
		ok = s.Open()
	case Closing:
		ok = s.Open() && s.StartClose(4200, Drain)
	case Closed:
		ok = s.Open() && s.Closed(EOF) == Open
	case Aborted:
		ok = s.Abort(Handshake, UpgradeTimeout)
	case Refused:
		ok = s.Refuse(401)
	}
	if !ok || s.Phase() != p {
		t.Fatalf("could not reach %v: at %v", p, s.Phase())
	}
	return s
}

var allPhases = []Phase{Handshake, Verifying, Open, Closing, Closed, Aborted, Refused}

// transitions are the State methods that move a session, each with the
// phases it moves from and the phase it moves to.
var transitions = []struct {
	name string
	do   func(*State) bool
	from []Phase
	to   Phase
}{
	{"Verify", (*State).Verify, []Phase{Handshake}, Verifying},
	{"Open", (*State).Open, []Phase{Handshake, Verifying}, Open},
	{"Refuse", func(s *State) bool { return s.Refuse(403) }, []Phase{Handshake, Verifying}, Refused},
	{"AbortFromHandshake", func(s *State) bool { return s.Abort(Handshake, UpgradeTimeout) }, []Phase{Handshake}, Aborted},
	{"AbortFromVerifying", func(s *State) bool { return s.Abort(Verifying, RequestTooLarge) }, []Phase{Verifying}, Aborted},
	{"HandOff", (*State).HandOff, []Phase{Handshake}, Closed},
	{"StartClose", func(s *State) bool { return s.StartClose(4100, SlowConsumer) }, []Phase{Open}, Closing},
}

// Every method moves exactly from its documented phases, to its
// documented phase, and refuses (changing nothing) from every other.
func TestTransitions(t *testing.T) {
	for _, tr := range transitions {
		for _, from := range allPhases {
			s := at(t, from)
			before := s.w.Load()
			legal := false
			for _, f := range tr.from {
				legal = legal || f == from
			}
			got := tr.do(s)
			switch {
			case got != legal:
				t.Errorf("%s from %v: %v, want %v", tr.name, from, got, legal)
			case legal && s.Phase() != tr.to:
				t.Errorf("%s from %v: now %v, want %v", tr.name, from, s.Phase(), tr.to)
			case !legal && s.w.Load() != before:
				t.Errorf("%s from %v: refused but changed the state to %v", tr.name, from, s.Phase())
			}
		}
	}
}

// Closed is reached from every phase, reports the phase it left, and
// says whether the session had been admitted.
func TestClosedFromEveryPhase(t *testing.T) {
	for _, from := range allPhases {
		s := at(t, from)
		if was := s.Closed(EOF); was != from {
			t.Errorf("Closed from %v reported %v", from, was)
		}
		if s.Phase() != Closed {
			t.Errorf("Closed from %v: now %v", from, s.Phase())
		}
		if want := from == Open || from == Closing; from.Admitted() != want {
			t.Errorf("%v.Admitted() = %v", from, from.Admitted())
		}
	}
}

// Who ended a session, and with which code, is readable after the close.
func TestEndingRecordsWhoClosed(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reach func(*State) bool
		cause Cause
		by    Party
		code  uint16
	}{
		{"drain", func(s *State) bool { return s.Open() && s.StartClose(4200, Drain) }, Drain, Server, 4200},
		{"close frame", func(s *State) bool { return s.Open() && s.StartClose(1000, CloseFrame) }, CloseFrame, Client, 1000},
		{"pong timeout", func(s *State) bool { return s.Open() && s.StartClose(4201, PongTimeout) }, PongTimeout, Deadline, 4201},
		{"eof", func(s *State) bool { return s.Open() && s.Closed(EOF) == Open }, EOF, Client, 0},
		{"send in doubt", func(s *State) bool { return s.Open() && s.Closed(SendInDoubt) == Open }, SendInDoubt, Server, 0},
		{"upgrade timeout", func(s *State) bool { return s.Verify() && s.Abort(Verifying, UpgradeTimeout) }, UpgradeTimeout, Deadline, 0},
		{"refusal", func(s *State) bool { return s.Refuse(401) }, Refusal, Server, 401},
		{"hand-off", (*State).HandOff, HandedOff, Server, 0},
	} {
		s := new(State)
		if c, code := s.Ending(); c != CauseNone || code != 0 || c.By() != Nobody {
			t.Fatalf("%s: a fresh session has ended: %v %d", tc.name, c, code)
		}
		if !tc.reach(s) {
			t.Fatalf("%s: transition refused", tc.name)
		}
		// The socket's end keeps the cause and code of what ended it.
		s.Closed(EOF)
		c, code := s.Ending()
		if c != tc.cause || c.By() != tc.by || code != tc.code {
			t.Errorf("%s: ended by %v/%v code %d, want %v/%v code %d", tc.name, c.By(), c, code, tc.by, tc.cause, tc.code)
		}
	}
}

// Of two parties closing an open session at once, exactly one wins and
// the recorded cause and code are the winner's (run with -race).
func TestConcurrentStartCloseOneWinner(t *testing.T) {
	for range 200 {
		s := new(State)
		s.Open()
		var wg sync.WaitGroup
		won := make([]bool, 2)
		contenders := []struct {
			code  uint16
			cause Cause
		}{{4200, Drain}, {1000, CloseFrame}}
		start := make(chan struct{})
		for i, c := range contenders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				won[i] = s.StartClose(c.code, c.cause)
			}()
		}
		close(start)
		wg.Wait()
		if won[0] == won[1] {
			t.Fatalf("winners: %v, want exactly one", won)
		}
		w := contenders[0]
		if won[1] {
			w = contenders[1]
		}
		if c, code := s.Ending(); c != w.cause || code != w.code {
			t.Fatalf("recorded %v %d, the winner was %v %d", c, code, w.cause, w.code)
		}
	}
}

// An upgrade finishing while the upgrade deadline aborts: exactly one of
// Open and Abort wins, never both.
func TestOpenRacesAbort(t *testing.T) {
	for range 200 {
		s := new(State)
		s.Verify()
		var opened, aborted bool
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); opened = s.Open() }()
		go func() { defer wg.Done(); aborted = s.Abort(Verifying, UpgradeTimeout) }()
		wg.Wait()
		if opened == aborted {
			t.Fatalf("opened %v, aborted %v: want exactly one", opened, aborted)
		}
	}
}

func TestNames(t *testing.T) {
	for c := CauseNone; int(c) < len(causes); c++ {
		if c.String() == "" || c.String() == "unknown" {
			t.Errorf("cause %d has no name", c)
		}
		if c != CauseNone && c.By() == Nobody {
			t.Errorf("cause %v has no party", c)
		}
	}
	for _, p := range allPhases {
		if p.String() == "unknown" {
			t.Errorf("phase %d has no name", p)
		}
	}
}
