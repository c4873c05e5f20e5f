package session

// Party is who ended a session: the server, the client, or a deadline
// (the heartbeat wheel enforcing a timeout).
type Party uint8

const (
	Nobody Party = iota // the session has not ended
	Server
	Client
	Deadline
)

func (p Party) String() string {
	switch p {
	case Server:
		return "server"
	case Client:
		return "client"
	case Deadline:
		return "deadline"
	}
	return "none"
}

// Cause is why a session ended or started to, recorded with the
// transition that ended it (State.Ending). Its Party says who acted.
type Cause uint8

const (
	CauseNone Cause = iota

	// The server closed it.
	Drain            // the node drains: 4200, reconnect elsewhere
	SlowConsumer     // its send queue was full: 4100
	AuthExpiry       // its token expired, or it did not sign in in time: 4009
	ProtocolError    // it broke RFC 6455 (1002, 1007, 1009)
	Rejected         // upgraded only to be refused by the app: unknown app, disabled, quota, bad protocol version, bad path (40xx)
	Overload         // the node had no room: over capacity, or no room to check a token or read history (4100)
	ClientEventLimit // too many client events: 4301
	Terminated       // its user was terminated through the HTTP API: 4009
	Refusal          // answered with an HTTP error (the code is the status)
	HandedOff        // a plain HTTP request, handed to net/http
	RequestTooLarge  // sent more than a request's worth before its 101
	SendInDoubt      // shut down: a failing io_uring held its send, which may have gone out torn (no close frame: 1006)

	// The client closed it.
	CloseFrame // its close frame (the code is the one it sent)
	EOF        // the socket ended without a close frame: 1006

	// A deadline closed it.
	PongTimeout    // no pong within the pong timeout: 4201
	UpgradeTimeout // not answered within the upgrade timeout
)

var causes = [...]struct {
	name  string
	party Party
}{
	CauseNone:        {"none", Nobody},
	Drain:            {"drain", Server},
	SlowConsumer:     {"slow_consumer", Server},
	AuthExpiry:       {"auth_expiry", Server},
	ProtocolError:    {"protocol_error", Server},
	Rejected:         {"rejected", Server},
	Overload:         {"overload", Server},
	ClientEventLimit: {"client_event_limit", Server},
	Terminated:       {"terminated", Server},
	Refusal:          {"refusal", Server},
	HandedOff:        {"handed_off", Server},
	RequestTooLarge:  {"request_too_large", Server},
	SendInDoubt:      {"send_in_doubt", Server},
	CloseFrame:       {"close_frame", Client},
	EOF:              {"eof", Client},
	PongTimeout:      {"pong_timeout", Deadline},
	UpgradeTimeout:   {"upgrade_timeout", Deadline},
}

// String is the cause's snake_case name, fit for a log field or a metric
// label.
func (c Cause) String() string {
	if int(c) < len(causes) {
		return causes[c].name
	}
	return "unknown"
}

// By is the party that acted.
func (c Cause) By() Party {
	if int(c) < len(causes) {
		return causes[c].party
	}
	return Nobody
}
