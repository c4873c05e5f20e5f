// Package frame is the pure RFC 6455 layer of fanout: frame headers (parse
// and encode), masking, fragmentation and message reassembly, close codes,
// streaming UTF-8 validation of text messages, permessage-deflate (RFC 7692)
// and the HTTP upgrade handshake (through github.com/gobwas/ws).
//
// The package never sees a socket. Callers hand it bytes that have already
// arrived and caller-owned buffers to encode into; it keeps no state beyond
// what a caller passes in (a [Decoder] per connection).
//
// On the steady path nothing is copied or allocated: a single unfragmented,
// uncompressed client frame is unmasked in place and its payload aliases the
// caller's input, and the AppendX encoders write into the caller's buffer.
// Fragmented or compressed messages are assembled in a buffer taken from a
// size-capped pool for the life of that one message only, so an idle
// connection's Decoder holds no buffer at all.
//
// Errors caused by the peer are [ProtocolError] values carrying the close
// code to answer with (1002, 1007 or 1009); read them with errors.As.
//
// # Concurrency
//
// Every function in this package is safe to call from any goroutine: they
// only touch the arguments they are given and internal sync.Pools.
// A [Decoder] belongs to one connection and must not be used concurrently;
// the goroutine that owns the connection's read side calls Decode and, when
// the connection closes, Release. A Payload returned by Decode is valid until
// the next Decode or Release call on that Decoder (or, when it aliases the
// input, for as long as the caller keeps the input bytes). The caller that
// owns the connection closes it; this package never does.
package frame
