package protocol

import "strconv"

// ErrorCode is the "code" of a pusher:error event and, for the codes
// that end a connection, the status of the close frame that follows it
// (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#error-codes).
// Pusher's codes lie in 4000-4999, the range RFC 6455 section 7.4.2
// leaves to applications; the hundreds say what a client should do:
//
//	4000-4099  the connection is closed; do not reconnect as is
//	4100-4199  the connection is closed; reconnect after backing off
//	4200-4299  the connection is closed; reconnect at once
//	4300-4399  an error that does not close the connection
//
// CodeNull is the error without a code: its "code" is JSON null.
type ErrorCode uint16

// The codes fanout sends.
const (
	// CodeNull answers a pusher:subscribe for a channel the connection
	// already holds ("Existing subscription to channel NAME"), as Pusher
	// Channels does.
	CodeNull ErrorCode = 0

	CodeUnknownApp   ErrorCode = 4001 // no app with this key
	CodeAppDisabled  ErrorCode = 4003 // the app is disabled
	CodeOverQuota    ErrorCode = 4004 // the app is over its connection quota
	CodePathNotFound ErrorCode = 4005 // the upgrade path is not /app/{key}
	CodeBadProtocol  ErrorCode = 4006 // the protocol parameter is not a version number
	CodeUnsupported  ErrorCode = 4007 // protocol version not supported
	CodeNoProtocol   ErrorCode = 4008 // no protocol parameter
	CodeUnauthorized ErrorCode = 4009 // bad signin or token, or the connection was terminated

	CodeOverCapacity ErrorCode = 4100 // server busy or the client too slow: back off

	CodeGoingAway   ErrorCode = 4200 // the server is shutting down: reconnect now
	CodePongTimeout ErrorCode = 4201 // no pusher:pong after pusher:ping
	CodeInactive    ErrorCode = 4202 // closed after inactivity

	CodeInvalidMessage   ErrorCode = 4300 // not JSON, or no event name
	CodeClientEventLimit ErrorCode = 4301 // client event rate limit exceeded (closes in fanout)
	CodeDataTooLarge     ErrorCode = 4302 // client event data over the app's limit
	CodeNotAllowed       ErrorCode = 4303 // client events disabled, wrong channel kind, not subscribed
	CodeSignInFirst      ErrorCode = 4304 // the app requires signin before this event
	CodeUnknownEvent     ErrorCode = 4305 // a pusher: event this server does not know
)

// Reconnect tells a client how to go on after a close with this code,
// from the code's hundred (see ErrorCode).
type Reconnect uint8

// The Pusher reconnect strategies.
const (
	ReconnectNone      Reconnect = iota // not a closing code
	ReconnectNever                      // 4000-4099
	ReconnectBackoff                    // 4100-4199
	ReconnectImmediate                  // 4200-4299
)

// Reconnect is the strategy Pusher clients follow after a close with c;
// ReconnectNone for codes outside 4000-4299.
func (c ErrorCode) Reconnect() Reconnect {
	switch {
	case c >= 4000 && c < 4100:
		return ReconnectNever
	case c >= 4100 && c < 4200:
		return ReconnectBackoff
	case c >= 4200 && c < 4300:
		return ReconnectImmediate
	}
	return ReconnectNone
}

// Pusher reports whether c lies in Pusher's 4000-4999 range (all but
// CodeNull).
func (c ErrorCode) Pusher() bool { return c >= 4000 && c <= 4999 }

// String is the decimal code, or "null" for CodeNull, as the code is
// written in a pusher:error event.
func (c ErrorCode) String() string {
	if c == CodeNull {
		return "null"
	}
	return strconv.Itoa(int(c))
}

// AppendCode appends c as a JSON value: a number, or null for CodeNull.
func AppendCode(dst []byte, c ErrorCode) []byte {
	if c == CodeNull {
		return append(dst, "null"...)
	}
	return strconv.AppendUint(dst, uint64(c), 10)
}

// Error is a client message the server cannot act on, with the
// pusher:error code it is answered with. It is a value: read it back with
// errors.As.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e Error) Error() string { return "pusher:error " + e.Code.String() + ": " + e.Message }
