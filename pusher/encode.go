package pusher

import (
	"strconv"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/protocol"
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

// publicationFrame encodes a published event as a complete text frame;
// an event with a stream position carries it in a top-level "position"
// member, which Pusher clients ignore.
func publicationFrame(p *broker.Publication) []byte {
	if p.Position.IsZero() {
		return eventFrame(p.Event, p.Channel, p.Data, p.UserID)
	}
	buf := newEventBuf(len(p.Event) + len(p.Channel) + len(p.Data) + len(p.UserID) + len(p.Position.Epoch) + 48)
	buf = protocol.AppendEvent(buf, p.Event, p.Channel, p.Data, p.UserID)
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
	dst = protocol.AppendJSONString(dst, pos.Epoch)
	dst = append(dst, `,"offset":`...)
	dst = strconv.AppendUint(dst, pos.Offset, 10)
	return append(dst, '}')
}

// eventFrame encodes one event (protocol.AppendEvent) as a complete text
// frame.
func eventFrame(event, channel, data, userID string) []byte {
	return textFrame(protocol.AppendEvent(newEventBuf(len(event)+len(channel)+len(data)+len(userID)), event, channel, data, userID))
}

// appendEstablished appends the pusher:connection_established frame.
func appendEstablished(dst []byte, socketID string, activity time.Duration) []byte {
	return append(dst, textFrame(protocol.AppendEstablished(newEventBuf(len(socketID)+64), socketID, int64(activity/time.Second)))...)
}

// errorFrame is a pusher:error event (protocol.AppendError) as a frame.
func errorFrame(code protocol.ErrorCode, message string) []byte {
	return textFrame(protocol.AppendError(newEventBuf(len(message)+64), code, message))
}

// existingSubscriptionFrame answers a pusher:subscribe for a channel the
// connection already holds, as Pusher Channels does: a pusher:error whose
// code is JSON null and whose message names the channel.
func existingSubscriptionFrame(channel string) []byte {
	return errorFrame(protocol.CodeNull, protocol.ExistingSubscription(channel))
}

// subscriptionErrorFrame is a pusher:subscription_error event as a frame.
func subscriptionErrorFrame(channel, typ, message string, status int) []byte {
	return textFrame(protocol.AppendSubscriptionError(newEventBuf(2*(len(channel)+len(typ)+len(message))+48), channel, typ, message, status))
}

var (
	pongFrame = eventFrame(protocol.EventPong, "", "{}", "")
	pingFrame = eventFrame(protocol.EventPing, "", "{}", "")
)
