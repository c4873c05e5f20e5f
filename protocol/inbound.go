package protocol

import (
	"encoding/json"
	"strings"
)

// Inbound is a message from a client
// (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/):
// {"event": "...", "channel": "...", "data": ...}. Data is the raw JSON of
// "data" (nil when absent); read it with UnmarshalData.
type Inbound struct {
	Event   string          `json:"event"`
	Channel string          `json:"channel"`
	Data    json.RawMessage `json:"data"`
}

// errInvalidMessage answers a message that is not a JSON object with an
// event name.
var errInvalidMessage = Error{Code: CodeInvalidMessage, Message: "invalid message: expected a JSON object with an event name"}

// DecodeInbound reads one client message. A payload that is not a JSON
// object, or has no event name, is an [Error] with CodeInvalidMessage and
// the message to answer with.
func DecodeInbound(payload []byte) (Inbound, error) {
	var ev Inbound
	if err := json.Unmarshal(payload, &ev); err != nil || ev.Event == "" {
		return Inbound{}, errInvalidMessage
	}
	return ev, nil
}

// AppendInbound appends ev as a client would send it; DecodeInbound reads
// it back. ev.Data must be JSON text (or empty).
func AppendInbound(dst []byte, ev Inbound) []byte {
	return AppendEvent(dst, ev.Event, ev.Channel, string(ev.Data), "")
}

// IsClientEvent reports whether event is a client event: its name starts
// with "client-"
// (https://pusher.com/docs/channels/using_channels/events/).
func IsClientEvent(event string) bool { return strings.HasPrefix(event, "client-") }

// UnmarshalData reads an event's data into v; clients send it either as a
// JSON object or as a JSON string holding one, and both are accepted.
func UnmarshalData(raw json.RawMessage, v any) error {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return err
		}
		raw = json.RawMessage(s)
	}
	return json.Unmarshal(raw, v)
}

// Subscribe is the data of pusher:subscribe.
type Subscribe struct {
	Channel string `json:"channel"`
	// Auth is "key:signature" for channels that need it (see
	// ChannelKind.NeedsAuth).
	Auth string `json:"auth"`
	// ChannelData is the presence member JSON, as signed (presence
	// channels).
	ChannelData string `json:"channel_data"`
	// Recover asks for the events after a stream position (a fanout
	// extension for channels with history): {"epoch": "...", "offset": N}.
	Recover json.RawMessage `json:"recover"`
}

// Unsubscribe is the data of pusher:unsubscribe.
type Unsubscribe struct {
	Channel string `json:"channel"`
}

// Signin is the data of pusher:signin
// (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/).
type Signin struct {
	Auth     string `json:"auth"`
	UserData string `json:"user_data"`
}

// UserData is the part of a signin's user_data the server reads: the
// user id, a JSON string or number (see UserIDString).
type UserData struct {
	ID json.RawMessage `json:"id"`
}

// UserIDString reads a user id given as a JSON string or number; "" when
// raw is neither.
func UserIDString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}
