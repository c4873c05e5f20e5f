// Package bench is the load harness behind `fanout bench`: it drives any
// Pusher-protocol server (fanout itself or a peer) with many WebSocket
// clients and reports connect rate, failures, server memory per
// connection, delivery latency and throughput, and churn rate.
//
// Scenarios: connect (open and hold --conns connections over --channels
// channels), fanout (the same, then publish signed events through the
// Pusher HTTP API at --rate, the publishers taking turns on one evenly
// spaced schedule, and time their delivery, with the server's CPU time
// and write syscalls per delivery read from /proc), churn
// (connect/subscribe/close cycles) and storm (client events among the
// subscribers of one private channel while a watcher times a newcomer's
// connect and a publish to another channel). Connections may carry a
// JWT each and join presence channels (AuthOptions), dial wss:// with
// TLSOptions, and in the connect scenario be idle Server-Sent Events
// streams instead of WebSockets (Options.Transport); with
// Options.Protocol "centrifugo" they speak Centrifugo's own JSON
// protocol instead of Pusher's. With Options.RedisAddr a fanout run
// also reports Redis's CPU per publish (INFO cpu). `report` merges
// result files.
//
// The harness checks itself: over the publish window it reads its
// workers' CPU time from /proc as it reads the server's, and their CPU
// affinity masks (sched_getaffinity(2)). A run whose workers held 90 % of
// the cores available to them, or whose workers and server together
// held half of the cores they share while the workers spent more CPU
// per delivery than the server, ends with a HarnessBoundError
// ("SELF-CHECK FAILED", exit 1): its latency would be the harness's own
// (Result.HarnessCheck). Without a server PID only the first can be
// judged, and the run says so. With FANOUT_BENCH_CPUPROFILE set, each
// worker writes a CPU profile.
// bench/cmd/fanout-probe is an independent client (gobwas/ws, a
// goroutine per connection) to check the harness's figures against.
//
// The parent process starts worker processes by re-executing its own
// binary as "<exe> bench worker" (with FANOUT_BENCH_WORKER=1 in the
// environment, see RunWorkerIfChild). A worker holds at most
// MaxConnsPerWorker sockets, binds them to its own source addresses
// (127.0.0.2 for worker 0, 127.0.0.3 for worker 1, ...), drives them on
// cloudwego/netpoll's event loops (one per core) with one OnRequest callback per
// connection (no goroutine per socket; a wss:// connection, which netpoll
// cannot carry, is a crypto/tls client read by a goroutine of its own),
// and talks to the parent in JSON
// lines: a config line and commands on stdin, progress and results on
// stdout. Workers die with the parent (Pdeathsig) and on end of input.
//
// # Concurrency
//
// Run and Execute may be called from any goroutine; each call owns its
// workers and stops them before returning, bounded by Options.Timeout.
// Inside a worker, a client's bytes are consumed only by netpoll's
// OnRequest for that connection (for wss://, only by its read goroutine); its writes are serialised by a
// per-client mutex; its close happens once, by whichever of the worker
// (stop, churn) or netpoll (peer closed) gets there first. A Histogram is
// not safe for concurrent use; workers shard theirs behind locks. In
// the parent, the progress line runs on a goroutine of its own that
// reads only the pool's locked totals and atomics; the storm watcher's
// probes run on one goroutine, its subscriber's reads on another, and
// its figures are behind a lock.
package bench
