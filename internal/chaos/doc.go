// Package chaos is the fault-injection suite: it runs real `fanout serve`
// processes, real redis-server processes (standalone, Redis Cluster with
// replicas, a master with replicas watched by redis-sentinel processes)
// and real Pusher-protocol clients, injects faults (SIGKILL,
// SIGSTOP/SIGCONT, SIGTERM, a failing webhook receiver, a reconnect
// storm) and checks with the loss ledger (internal/ledger) that nothing
// accepted went silently missing.
//
// The package's non-test files are the harness: [Binary] builds the
// command once per test process, [StartRedis], [StartCluster] and
// [StartSentinels] start Redis, [Serve] starts a node, [Dial] opens a
// client whose reader feeds a ledger session, [Publisher] publishes
// numbered events, [Hooks] is a webhook receiver whose answer can be
// switched.
//
// Scenarios that fit a few tens of seconds run in `make test`; longer
// ones, and the longer variants of the short ones, run when FANOUT_CHAOS
// is set (`make chaos`). `make soak` sets FANOUT_SOAK.
// FANOUT_LOG_LEVEL (the server's own variable) sets the nodes'
// --log-level (default info here; debug logs lost pub/sub connections
// and publications dropped by an overloaded node), FANOUT_CHAOS_LOGS a
// directory that keeps every process's output.
//
// # Concurrency
//
// Helpers are started and stopped by the test goroutine. A [Client] has
// one reader goroutine of its own; its methods may be called from any
// goroutine (writes are serialised). A [Publisher] may be used by several
// goroutines. [Hooks] is an HTTP handler and safe for concurrent use.
package chaos
