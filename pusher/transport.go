package pusher

import "github.com/fanout/fanout/session"

// transport is how a connection's events are written, decided when its
// request is answered. It is a byte, not a session.Transport field (an
// interface costs 16 bytes and an idle connection must stay in its size
// class): of maps it to the transport shared by every connection of its
// kind.
type transport uint8

const (
	transportNone      transport = iota // not answered yet, or refused
	transportWebSocket                  // RFC 6455 frames carrying Pusher events
	transportEcho                       // RFC 6455 frames echoed as they are (/echo)
	transportSSE                        // text/event-stream
	// transportSSETagged is a stream of several channels with history:
	// its ids name their channel.
	transportSSETagged
)

// transports are the shared transports, by kind. A connection not yet
// answered writes through the WebSocket one: its writes are plain bytes.
var transports = [...]session.Transport{
	transportNone:      webSocket,
	transportWebSocket: webSocket,
	transportEcho:      echoSocket,
	transportSSE:       eventStream,
	transportSSETagged: eventStream,
}

// of is the transport that writes for a connection of kind t.
func (t transport) of() session.Transport { return transports[t] }

// sse reports an event stream.
func (t transport) sse() bool { return t >= transportSSE }

// tagged reports a stream whose ids name their channel.
func (t transport) tagged() bool { return t == transportSSETagged }

// String is the transport's metric label (TransportObserver).
func (t transport) String() string { return t.of().Name() }

// TransportObserver is an optional extension of Observer, found with a
// type assertion: connections opened and closed by transport ("websocket"
// or "sse"), called beside ConnOpened and ConnClosed.
type TransportObserver interface {
	TransportOpened(transport string)
	TransportClosed(transport string)
}

// EndObserver is an optional extension of Observer, found with a type
// assertion: an admitted connection ended, by whom (session.Party:
// "server", "client", "deadline") and why (session.Cause, e.g. "drain",
// "close_frame"), called beside ConnClosed.
type EndObserver interface {
	ConnEnded(by, cause string)
}
