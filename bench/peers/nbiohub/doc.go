// Package nbiohub is the peer hub on lesismal/nbio: nbhttp's event-loop
// engine with its websocket upgrader, configured as nbio's docs advise
// for many mostly idle connections (non-blocking IO mode, payload
// buffers released after each message, a small per-poller read
// buffer), and a publish path written for throughput with
// hubcore.Fanout: the publish request is answered as soon as the event
// is queued, the event is framed once, and one goroutine per core
// writes its contiguous share of the subscribers through nbio's
// non-blocking connection (which queues what the socket does not
// take), joining the frames of publishes that queued up meanwhile into
// one write per connection.
//
// # Concurrency
//
// nbio calls OnOpen, OnMessage and OnClose from its handler pool, in
// order for a connection. Writes to one connection come from its
// handler (welcome, pong, replies, through websocket.Conn) and from the
// fan-out shards (whole frames, through the underlying nbio connection);
// both serialise on that connection's lock, whole frames at a time. nbio
// closes the socket; OnClose removes it from the hub once, and a write
// to a connection closed meanwhile fails quietly.
package nbiohub
