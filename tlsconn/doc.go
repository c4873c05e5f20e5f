// Package tlsconn terminates TLS (RFC 8446 for 1.3, RFC 5246 for 1.2) for
// connections of the poller without a goroutine per connection.
//
// The handshake is the standard library's crypto/tls, driven over an
// in-memory transport (wire): it runs on a bounded worker pool, reading
// from bytes the event loop hands it and writing its flights with
// poller.Conn.WriteWire. Once it is done the Session is the connection's
// poller.Codec: the loop decrypts what it read (Open) and every writer
// encrypts its own copy of a frame (Seal), with no goroutine. The poller
// lends the record layer a buffer to seal into (Session.AppendSeal, a
// poller.AppendSealer): frames written to a connection together (its
// backlog, in one WriteBatch) are copied once, into one record of up to
// 2^14 bytes (RFC 8446 section 5.1), sealed in place and written with one
// write(2), and a write the kernel takes whole allocates nothing.
//
// # Records after a TLS 1.3 handshake
//
// A TLS 1.3 connection then leaves crypto/tls: its tls.Conn, with the
// buffers crypto/tls keeps for a connection's life (about 6 KB), is
// dropped, and the package's own record layer (records.go, RFC 8446
// section 5) carries it on from the application traffic secrets. An
// idle connection keeps those secrets, the keys and IVs derived from them
// (section 7.3) and two sequence numbers (the record layer: 280 bytes);
// a record cut by a read is held only until its end arrives, in a buffer
// of its size. The AEAD of the write key (AES-GCM: about 800 bytes) is
// kept while the connection is sent to and dropped after
// Options.IdleAEAD of quiet (aeadcache.go); the read key's is built for
// each read.
//
// # Memory of an idle connection
//
// An idle connection lives for hours, so what it keeps is counted in
// bytes: the Session (32 bytes: the server, the record layer, and the
// pointer to cryptoTLS) and the record layer. The transport the handshake
// ran over (the wire's mutex, buffers and wake channel), the tls.Conn
// and the handshake's deadline are a separate object (cryptoTLS) that a
// TLS 1.3 session drops once its transport holds nothing more; a TLS 1.2
// one keeps it. The keys and IVs are kept beside the secrets they come
// from: deriving them when an AEAD is built would save 88 bytes (the
// 288-byte size class for 192) but cost two HKDF-Expand-Label calls
// (about 2.3 µs and 20 allocations with crypto/hkdf) on every read and
// on the first write after each idle period. TestIdleSessionHeap guards
// the sum.
//
// The handshake itself leaves tens of kilobytes of garbage, a hundred
// times what the connection keeps. After a burst of handshakes (a
// connect storm, the clients of a restarted node coming back) the idle
// connections allocate nothing, no collection comes, and the Go heap
// stays at up to twice its live data with the pages resident, wherever
// the last cycle of the burst left it. So after a burst the Server
// collects once and returns the free pages to the OS (reclaim.go):
// after at least 256 handshakes, once none ended for
// Options.ReclaimAfter, at most one per 5 s and 1 % of a core. Measured
// from outside, this is what holds the resident size of idle wss://
// connections to what they keep (BENCHMARKS.md, "TLS terminated in
// fanout").
//
// The hand-over has three parts (handover.go):
//
//   - the secrets come from the key log crypto/tls writes
//     (tls.Config.KeyLogWriter, CLIENT_TRAFFIC_SECRET_0 and
//     SERVER_TRAFFIC_SECRET_0), on a copy of the Config made for each
//     handshake by GetConfigForClient, whose ClientHelloInfo.Conn is the
//     session's transport; each line's client random must be the one in
//     the ClientHello the loop saw. No unsafe or reflection.
//   - while the handshake runs the transport hands crypto/tls one record
//     at a time, never a byte past a record's end, so when the handshake
//     returns crypto/tls holds nothing the client sent behind its
//     Finished (clients send application data in the same segment). What
//     it did not read is the record layer's, from sequence number 0.
//   - crypto/tls may have written NewSessionTicket messages under the
//     server's application key (before or after reading a client
//     certificate); the transport keeps copies of the records written
//     once that key exists and the record layer counts those that open
//     with it, so its write sequence number starts where crypto/tls's
//     ended.
//
// The record layer answers a peer's KeyUpdate that requests one with its
// own (section 4.6.3), moves its write key on before it has protected
// 2^24 records (section 5.5), answers close_notify with close_notify,
// treats alerts other than close_notify and user_canceled as fatal
// (section 6), and refuses anything else a client may not send after the
// handshake with the alert RFC 8446 names (unexpected_message,
// bad_record_mac, record_overflow, decode_error, illegal_parameter),
// then closes: the error is an AlertError.
//
// TLS 1.2 connections stay on crypto/tls: its record layer keeps its
// buffers, as before. Options.Established reports which layer carries
// each connection.
//
// A plain HTTP request (the HTTP API) on a TLS connection leaves the loop
// for net/http (Detach): a TLS 1.3 session continues as a blocking
// net.Conn over the same record layer (recordconn.go), a TLS 1.2 one as
// its tls.Conn.
//
// # Kernel TLS
//
// With Options.KernelTLS, where the kernel offers TLS (Linux
// Documentation/networking/tls.rst; KernelTLS probes it once, and says
// why not in words when the kernel lacks it), a TLS 1.3 session goes on
// from the record layer to the kernel (kernel.go): on the first Open
// after the handshake that leaves the record layer between records, with
// nothing it sealed still queued in the poller, the session attaches
// TCP_ULP "tls" and gives TLS_RX and TLS_TX the keys, IVs and sequence
// numbers of both directions (linux/tls.h tls12_crypto_info_aes_gcm_128,
// _aes_gcm_256, _chacha20_poly1305; kernelinfo.go), so the kernel starts
// exactly where user space stopped: after the records the record layer
// opened, after the NewSessionTickets crypto/tls wrote. From then on the
// socket carries plaintext for us: Seal returns what it is given, and
// the loop reads through the Session (poller.SocketReader) with
// recvmsg(2), which reports a record that is not application data with
// its type (TLS_GET_RECORD_TYPE). close_notify is answered with
// close_notify, other alerts are fatal, anything a client may not send
// gets the alert RFC 8446 names, and our records of those types go out
// with sendmsg(2) and TLS_SET_RECORD_TYPE. A peer's KeyUpdate gives the
// kernel the next read key (and, when it asks for ours, our KeyUpdate
// then the next write key); a kernel that cannot rekey a TLS 1.3 socket
// (Linux before 6.14) refuses, and the connection ends with
// internal_error, reported as KernelRekeyUnsupported. A kernel that
// refuses the hand-over leaves the session on the record layer, nothing
// lost (KernelFallback); one that takes the read direction and not the
// write one leaves writes to it (KernelTXUser). Not done in the kernel
// path: the KeyUpdate the record layer sends before 2^24 records under
// one key (the kernel does not count them), and alerts for a record the
// kernel fails to decrypt (the read fails, the connection closes without
// one).
//
// test/ktls-vm runs this path on a kernel that has it (qemu; this
// package's build machine has none).
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
// the connection's lock, which is also what serializes the record layer.
// The session turns established, and gets its record layer, on the pool
// goroutine under the transport's mutex, before the loop is woken; the
// Session drops its cryptoTLS (an atomic pointer) on that goroutine, or
// on the loop's next Open when bytes are left in the transport, and
// readers that loaded it before find it established and go to the record
// layer. The Server's sweeper goroutine drops idle write AEADs through
// atomics only; its reclaimer goroutine counts handshakes that end
// through atomics and calls debug.FreeOSMemory, which blocks only
// itself.
// Detach (the hand-off of a plain HTTP request to net/http) is called on
// the loop goroutine, after which the Session is a blocking net.Conn owned
// by its new reader (its own mutex orders reads, writes and the records
// a read answers with). The hand-over to kernel TLS happens in Open (loop
// goroutine, connection lock held, so no Seal runs); the Session's
// ReadSocket runs on the loop goroutine too, and the kernel state it
// shares with Open is the loop's alone. Close may be called from any goroutine; the
// caller calls it once the poller reported the connection closed, which
// ends a handshake still waiting for bytes.
//
// Certs.Reload and Certs.Current are safe from any goroutine.
package tlsconn
