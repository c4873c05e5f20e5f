package session

// Phase is where a session is in its life; see the package documentation
// for the transitions between phases and who makes each.
type Phase uint8

const (
	// Handshake: the socket is accepted, its request not yet answered.
	Handshake Phase = iota
	// Verifying: the upgrade's token is checked on the worker pool; the
	// loop keeps (a bounded amount of) what the client sends meanwhile.
	Verifying
	// Open: answered (101, or 200 and an event stream); events flow.
	Open
	// Closing: a close was started (by either side); only the peer's
	// close frame or the close deadline remains.
	Closing
	// Closed: the socket is gone (or handed to net/http). Final.
	Closed
	// Aborted: dropped before it was answered (its upgrade deadline
	// passed, or it sent too much before its 101). Final but for Closed,
	// which the socket's end still brings.
	Aborted
	// Refused: answered with an HTTP error, no upgrade; the response
	// drains, then FIN.
	Refused
)

var phaseNames = [...]string{
	Handshake: "handshake",
	Verifying: "verifying",
	Open:      "open",
	Closing:   "closing",
	Closed:    "closed",
	Aborted:   "aborted",
	Refused:   "refused",
}

// String is the phase's lower-case name.
func (p Phase) String() string {
	if int(p) < len(phaseNames) {
		return phaseNames[p]
	}
	return "unknown"
}

// Admitted reports whether a session that reached Closed from p had been
// answered with a transport (101 or 200) and so holds an app's resources.
func (p Phase) Admitted() bool { return p == Open || p == Closing }

// phases is a set of phases, one bit each.
type phases uint16

func of(p Phase) phases { return 1 << p }

func (s phases) has(p Phase) bool { return s&of(p) != 0 }
