// Package protocol is the wire vocabulary of the Pusher Channels protocol
// (version 7) as fanout speaks it: channel names and their kinds, the codes
// of pusher:error events and of Pusher close frames, socket ids, the
// decoding of the messages clients send and the JSON encoding of the events
// the server sends.
//
// It is pure: it sees neither sockets nor WebSocket frames (package frame
// wraps what this package encodes) nor connection state (package pusher
// decides what to send and when). It imports only the standard library.
//
// The rules come from Pusher's documentation:
//
//   - channels and their naming: https://pusher.com/docs/channels/using_channels/channels/
//   - cache channels: https://pusher.com/docs/channels/using_channels/cache-channels/
//   - end-to-end encrypted channels: https://pusher.com/docs/channels/using_channels/encrypted-channels/
//   - the WebSocket protocol, its events and error codes: https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/
//
// On the hot path nothing allocates: [KindOf] and its rules,
// [ValidChannelName], [ValidUserChannel], [ParseSocketID], and
// [AppendEvent], [AppendError], [AppendJSONString] and [AppendSocketID]
// into a buffer with room, which alloc_test.go checks. The encoders of
// once-per-connection or once-per-subscription events (established,
// subscription error, signin success) and decoding a client message
// (encoding/json) allocate.
//
// # Concurrency
//
// Every function is pure: it touches only its arguments, keeps no state
// and is safe to call from any goroutine at the same time. A buffer passed
// to an AppendX function belongs to the caller, who must not share it while
// the call runs.
package protocol
