// Package tlsconn terminates TLS (RFC 8446 for 1.3, RFC 5246 for 1.2) for
// connections of the poller without a goroutine per connection.
//
// The record layer is the standard library's crypto/tls, driven over an
// in-memory transport (wire): the full handshake runs on a bounded worker
// pool, reading from bytes the event loop hands it and writing its flights
// with poller.Conn.WriteWire; once it is done the Session becomes the
// connection's poller.Codec, and the loop decrypts what it read (Open) and
// every writer encrypts its own copy of a frame (Seal), with no goroutine.
// When there is nothing more to decrypt the transport answers with a
// temporary net.Error, which crypto/tls treats as "try again later" and
// keeps any partial record it has buffered.
//
// The standard library is chosen over a forked record layer (the one nbio
// uses, github.com/lesismal/llib/std/crypto/tls, a copy of an old
// crypto/tls) because it is kept current with every Go release, security
// fixes included. Its cost is memory: crypto/tls keeps its record buffer
// between records (see BENCHMARKS.md).
//
// The handshake starts only when a complete first record that looks like
// a ClientHello is buffered: garbage and a trickled or truncated hello
// never reach the pool and are left to the caller's upgrade deadline.
//
// Certificates come from Certs, which reloads the PEM files on request
// (SIGHUP) and hands the current one to every new handshake through
// tls.Config.GetCertificate; open connections are not touched.
//
// # Concurrency
//
// A Session is used by three parties, one at a time per phase: the loop
// goroutine calls Open (with the poller's connection lock held); while the
// handshake runs, one pool goroutine reads what Open buffered; after it,
// any goroutine may write, and the poller serializes Seal with Open under
// the connection's lock. Detach (the hand-off of a plain HTTP request to
// net/http) is called on the loop goroutine, after which the Session is a
// blocking net.Conn owned by its new reader. Close may be called from any
// goroutine; the caller calls it once the poller reported the connection
// closed, which ends a handshake still waiting for bytes.
//
// Certs.Reload and Certs.Current are safe from any goroutine.
package tlsconn
