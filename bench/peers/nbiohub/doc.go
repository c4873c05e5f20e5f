// Package nbiohub is the peer hub on lesismal/nbio: nbhttp's event-loop
// engine with its websocket upgrader, configured as nbio's docs advise
// for many mostly idle connections (non-blocking IO mode, payload
// buffers released after each message, a shared per-poller read
// buffer).
//
// # Concurrency
//
// nbio calls OnOpen, OnMessage and OnClose from its handler pool, in
// order for a connection. Conn.WriteMessage is safe from any goroutine;
// the hub's broadcasts call it under the channel table's read lock.
// nbio closes the socket; OnClose removes it from the hub once.
package nbiohub
