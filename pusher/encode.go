package pusher

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/frame"
)

// headroom is reserved in front of an event's JSON so that the frame
// header can be written in place: one allocation per encoded event.
const headroom = 10

func newEventBuf(size int) []byte { return make([]byte, headroom, headroom+size+64) }

// textFrame writes the frame header in front of the JSON in buf (built
// after headroom bytes) and returns the complete frame.
func textFrame(buf []byte) []byte {
	n := len(buf) - headroom
	var hb [headroom]byte
	h := frame.AppendHeader(hb[:0], frame.Header{Fin: true, OpCode: frame.OpText, Length: int64(n)})
	start := headroom - len(h)
	copy(buf[start:], h)
	return buf[start:]
}

// appendEvent appends {"event":..,"channel":..,"data":..,"user_id":..};
// data is JSON text, written as is; empty channel and user are left out.
func appendEvent(dst []byte, event, channel, data, userID string) []byte {
	dst = append(dst, `{"event":`...)
	dst = appendJSONString(dst, event)
	if channel != "" {
		dst = append(dst, `,"channel":`...)
		dst = appendJSONString(dst, channel)
	}
	if data != "" {
		dst = append(dst, `,"data":`...)
		dst = append(dst, data...)
	}
	if userID != "" {
		dst = append(dst, `,"user_id":`...)
		dst = appendJSONString(dst, userID)
	}
	return append(dst, '}')
}

// publicationFrame encodes a published event as a complete text frame;
// an event with a stream position carries it in a top-level "position"
// member, which Pusher clients ignore.
func publicationFrame(p *broker.Publication) []byte {
	if p.Position.IsZero() {
		return eventFrame(p.Event, p.Channel, p.Data, p.UserID)
	}
	buf := newEventBuf(len(p.Event) + len(p.Channel) + len(p.Data) + len(p.UserID) + len(p.Position.Epoch) + 48)
	buf = appendEvent(buf, p.Event, p.Channel, p.Data, p.UserID)
	buf = append(buf[:len(buf)-1], `,"position":`...)
	buf = appendPosition(buf, p.Position)
	return textFrame(append(buf, '}'))
}

// appendPosition appends {"epoch":..,"offset":..}, or null for the zero
// Position.
func appendPosition(dst []byte, pos broker.Position) []byte {
	if pos.IsZero() {
		return append(dst, "null"...)
	}
	dst = append(dst, `{"epoch":`...)
	dst = appendJSONString(dst, pos.Epoch)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendUint(dst, pos.Offset, 10)
	return append(dst, '}')
}

// eventFrame encodes one event as a complete text frame.
func eventFrame(event, channel, data, userID string) []byte {
	return textFrame(appendEvent(newEventBuf(len(event)+len(channel)+len(data)+len(userID)), event, channel, data, userID))
}

// stringData encodes v as the JSON string that Pusher puts in "data".
func stringData(v []byte) string {
	return string(appendJSONString(make([]byte, 0, len(v)+16), string(v)))
}

func appendEstablished(dst []byte, socketID string, activity time.Duration) []byte {
	inner := make([]byte, 0, 64)
	inner = append(inner, `{"socket_id":`...)
	inner = appendJSONString(inner, socketID)
	inner = append(inner, `,"activity_timeout":`...)
	inner = strconv.AppendInt(inner, int64(activity/time.Second), 10)
	inner = append(inner, '}')
	return append(dst, eventFrame("pusher:connection_established", "", stringData(inner), "")...)
}

// errorFrame is a pusher:error event; code 0 leaves the code out.
func errorFrame(code int, message string) []byte {
	d := make([]byte, 0, 64+len(message))
	d = append(d, `{"message":`...)
	d = appendJSONString(d, message)
	if code != 0 {
		d = append(d, `,"code":`...)
		d = strconv.AppendInt(d, int64(code), 10)
	}
	d = append(d, '}')
	return eventFrame("pusher:error", "", string(d), "")
}

// existingSubscriptionFrame answers a pusher:subscribe for a channel the
// connection already holds, as Pusher Channels does: a pusher:error whose
// code is JSON null and whose message names the channel. pusher-js logs it
// and keeps the subscription it has.
func existingSubscriptionFrame(channel string) []byte {
	d := make([]byte, 0, 80+len(channel))
	d = append(d, `{"code":null,"message":`...)
	d = appendJSONString(d, "Existing subscription to channel "+channel)
	d = append(d, '}')
	return eventFrame("pusher:error", "", string(d), "")
}

var (
	pongFrame = eventFrame("pusher:pong", "", "{}", "")
	pingFrame = eventFrame("pusher:ping", "", "{}", "")
)

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal; invalid UTF-8 is
// replaced by U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
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
