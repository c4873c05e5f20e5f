package protocol

import (
	"strconv"
	"unicode/utf8"
)

// Events the server sends and receives
// (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/).
const (
	EventConnectionEstablished = "pusher:connection_established"
	EventError                 = "pusher:error"
	EventPing                  = "pusher:ping"
	EventPong                  = "pusher:pong"
	EventSubscribe             = "pusher:subscribe"
	EventUnsubscribe           = "pusher:unsubscribe"
	EventSignin                = "pusher:signin"
	EventSigninSuccess         = "pusher:signin_success"
	EventSubscriptionError     = "pusher:subscription_error"
	EventCacheMiss             = "pusher:cache_miss"
	EventSubscriptionSucceeded = "pusher_internal:subscription_succeeded"
	EventMemberAdded           = "pusher_internal:member_added"
	EventMemberRemoved         = "pusher_internal:member_removed"
)

// AppendEvent appends the event {"event":..,"channel":..,"data":..,
// "user_id":..} to dst. data is JSON text, written as is (Pusher sends
// most data as a JSON string holding JSON: see StringData); an empty
// channel, data or userID is left out. It allocates only if dst lacks room.
func AppendEvent(dst []byte, event, channel, data, userID string) []byte {
	dst = append(dst, `{"event":`...)
	dst = AppendJSONString(dst, event)
	if channel != "" {
		dst = append(dst, `,"channel":`...)
		dst = AppendJSONString(dst, channel)
	}
	if data != "" {
		dst = append(dst, `,"data":`...)
		dst = append(dst, data...)
	}
	if userID != "" {
		dst = append(dst, `,"user_id":`...)
		dst = AppendJSONString(dst, userID)
	}
	return append(dst, '}')
}

// StringData encodes v as the JSON string that Pusher puts in an event's
// "data" (JSON text inside a JSON string).
func StringData(v []byte) string {
	return string(AppendJSONString(make([]byte, 0, len(v)+16), string(v)))
}

// AppendError appends a pusher:error event. Its data is an object,
// {"message":..,"code":N}, or {"code":null,"message":..} for CodeNull.
func AppendError(dst []byte, code ErrorCode, message string) []byte {
	dst = append(dst, `{"event":"pusher:error","data":{`...)
	if code == CodeNull {
		dst = append(dst, `"code":null,"message":`...)
		dst = AppendJSONString(dst, message)
	} else {
		dst = append(dst, `"message":`...)
		dst = AppendJSONString(dst, message)
		dst = append(dst, `,"code":`...)
		dst = AppendCode(dst, code)
	}
	return append(dst, "}}"...)
}

// ExistingSubscription is the message of the CodeNull pusher:error that
// answers a pusher:subscribe for a channel the connection already holds,
// as Pusher Channels words it; pusher-js logs it and keeps its
// subscription.
func ExistingSubscription(channel string) string {
	return "Existing subscription to channel " + channel
}

// AppendEstablished appends the pusher:connection_established event:
// data is the JSON string of {"socket_id":..,"activity_timeout":N}, the
// timeout in whole seconds.
func AppendEstablished(dst []byte, socketID string, activityTimeoutSeconds int64) []byte {
	var buf [64]byte
	inner := append(buf[:0], `{"socket_id":`...)
	inner = AppendJSONString(inner, socketID)
	inner = append(inner, `,"activity_timeout":`...)
	inner = strconv.AppendInt(inner, activityTimeoutSeconds, 10)
	inner = append(inner, '}')
	dst = append(dst, `{"event":"pusher:connection_established","data":`...)
	dst = AppendJSONString(dst, string(inner))
	return append(dst, '}')
}

// AppendSubscriptionError appends the pusher:subscription_error event of
// channel: data is the JSON string of {"type":..,"error":..,"status":N},
// where type is Pusher's error type ("AuthError", "LimitReached", ...)
// and status an HTTP status.
func AppendSubscriptionError(dst []byte, channel, typ, message string, status int) []byte {
	d := append(make([]byte, 0, 48+len(typ)+len(message)), `{"type":`...)
	d = AppendJSONString(d, typ)
	d = append(d, `,"error":`...)
	d = AppendJSONString(d, message)
	d = append(d, `,"status":`...)
	d = strconv.AppendInt(d, int64(status), 10)
	d = append(d, '}')
	return AppendEvent(dst, EventSubscriptionError, channel, StringData(d), "")
}

// AppendSigninSuccess appends the pusher:signin_success event: data is
// the JSON string of {"user_data":..}, the user_data the client signed in
// with.
func AppendSigninSuccess(dst []byte, userData string) []byte {
	d := append(make([]byte, 0, 16+len(userData)), `{"user_data":`...)
	d = AppendJSONString(d, userData)
	d = append(d, '}')
	return AppendEvent(dst, EventSigninSuccess, "", StringData(d), "")
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal (RFC 8259 section 7):
// '"', '\\' and control characters escaped, invalid UTF-8 replaced by
// U+FFFD. It allocates only if dst lacks room.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
