// Package poller is fanout's event loop: a native epoll loop per core that
// accepts TCP connections, reads what the kernel already holds into one
// shared buffer per loop, and writes through a small bounded queue per
// connection that is flushed when the socket turns writable.
//
// An idle connection costs a *Conn (about 100 bytes) and one slot in its
// loop's fd-indexed table: no goroutine, no read buffer, no write buffer.
// Bytes a handler did not consume (the tail of a partial frame or request)
// are copied into a pooled buffer that goes back to the pool as soon as the
// handler consumes it.
//
// When accept(2) fails for want of descriptors or memory (EMFILE, ENFILE,
// ENOBUFS, ENOMEM), a loop takes its listening socket out of its epoll set
// rather than wake up for it again and again, and puts it back when one of
// its connections closes or Options.AcceptBackoff has passed; the waiting
// connections stay in the kernel's backlog meanwhile.
//
// The loops' listening sockets share one port through SO_REUSEPORT, but no
// other process may join them: Listen refuses a port that any other socket
// listens on with "address already in use" (exclusive.go says how).
//
// The poller knows sockets and bytes only; it never sees a frame, a channel
// or a user. A connection may carry a Codec (TLS records, see tlsconn;
// a codec that is also a SocketReader does the loop's reads itself, as
// kernel TLS must):
// the loop passes what it reads through Codec.Open before OnData, and
// Write, WriteLimit and CloseWith pass their bytes through Codec.Seal, so
// a broadcast's shared plaintext becomes each recipient's own records. A
// codec that is also an AppendSealer seals into a scratch buffer the
// poller lends it, so a write the kernel takes whole allocates nothing,
// and a WriteBatch's frames are sealed as one plaintext (seal.go).
//
// # Concurrency
//
// Each loop runs on its own goroutine. Handler methods are called on the
// loop goroutine that owns the connection, one at a time per connection, so
// a handler needs no lock for state it only touches from them. They must
// not block: read only what is given, queue writes.
//
// Conn.Write, Conn.Close and Conn.CloseWith may be called from any
// goroutine, concurrently. A write is attempted at once with a non-blocking
// write(2); what the kernel does not take is queued (bounded by
// Options.MaxQueuedBytes) and flushed by the loop on EPOLLOUT. The
// per-connection mutex is held across that non-blocking write so that two
// publishers cannot interleave their frames; it never waits on the peer.
// Conn.WriteBatch hands several frames that are due at the same moment to
// one writev(2), so a burst of deliveries to a connection costs one
// syscall; like a single write, it keeps no buffer once the kernel has
// taken everything. A SendBatch (sendbatch.go, over the raw io_uring of
// uring_linux.go) gathers such writes for many connections and hands
// them to the kernel in one io_uring_enter(2); it holds each ringed
// connection's mutex from its check until its completion is read, so a
// write on the same connection cannot overtake it, and it only TryLocks
// while it holds others. Should io_uring_enter(2) fail for good, the
// SendBatch still releases every lock it holds before Flush returns: it
// shuts down the connections whose sends the kernel took without a
// completion to read (their bytes may be half out), writes the rest
// with writev(2), and writes with writev(2) from then on
// (ringfail.go). Conn.Cork and Conn.Uncork (any goroutine) hold a
// connection's writes in its queue behind a response head until the
// handler lets them go; the loop does not flush a corked queue.
//
// With a codec, Open (on the loop) and Seal (in any writer) run under the
// connection's mutex, so records reach the socket in the order they were
// sealed; CloseWith then never drops queued bytes (a record missing from
// the sequence would break the peer's decryption), and the queue bound is
// checked against the plaintext before it is sealed, so a refused write
// uses no sequence number. WriteWire and Wake are
// for the codec itself and are safe from any goroutine.
//
// Exactly one party closes the file descriptor: the loop goroutine that owns
// it. Any other goroutine asks for a close by shutting the socket down
// (shutdown(2)), which wakes the loop with EPOLLIN/EPOLLRDHUP; the loop then
// sees end-of-file, closes the descriptor and calls Handler.OnClose exactly
// once. The state machine is written down in conn.go.
//
// StopAccepting may be called from any goroutine (and more than once); it
// blocks for unlisten.go's grace (50 ms) and until every running loop
// has accepted its backlog and closed its listening socket, so it must
// not be called from a loop goroutine.
package poller
