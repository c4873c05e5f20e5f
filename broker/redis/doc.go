// Package redis is the scale-out broker: several fanout nodes that share
// one Redis (standalone, or a Redis Cluster through sharded pub/sub) act
// as one logical server.
//
// It uses github.com/redis/rueidis: commands issued concurrently are
// pipelined on one connection automatically, a burst of publications goes
// out as one DoMulti pipeline, and SSUBSCRIBE/SPUBLISH are routed to the
// shard that owns a channel's slot.
//
// # Wire layout
//
// Every fanout channel is its own Redis channel, "{prefix}:c:{app}:{channel}",
// so a node receives only the channels its clients use, and Redis keeps the
// order of the messages of one channel (one channel lives on one server, or
// one shard in a cluster). A node holds one dedicated pub/sub connection
// to standalone Redis, or one per cluster master (routed by the slot table
// of CLUSTER SLOTS, read again when a connection fails or a slot moves),
// that SUBSCRIBEs (SSUBSCRIBEs) every channel it wants; rueidis calls the
// message hook of one connection sequentially, and the hook hands each
// message to the Handler before the next. So 100,000 channels cost one
// socket and one goroutine, not 100,000. Cluster-wide commands
// (terminate_connections) travel on "{prefix}:ctl".
//
// With Redis Sentinel (Options.Sentinel) the broker is given the
// sentinels and the master's name: the command client follows the
// sentinels' +switch-master, and each pub/sub connection, a client of its
// own, asks them for the master whenever it (re)connects, so after a
// failover it subscribes again on the promoted replica under the rules of
// "Failure" below, as after a lost connection (a promoted replica is to
// them what a promoted cluster master is).
//
// The cluster-wide directory (subscription counts and presence members,
// see Directory) lives in Redis hashes; each node heartbeats its entry in
// the "{prefix}:nodes" sorted set (scored by its expiry in Redis's
// clock), and any node reaps the entries of a node that stayed silent for
// Options.NodeTTL, or that crashed: silent for four heartbeats while
// Redis holds no pub/sub connection of it (each node's pub/sub connection
// subscribes a channel of its own for that, "{prefix}:alive:<node>"; see
// crashed.go), publishing member_removed for the members that were only
// on it. The heartbeat also writes the node's clock error (ms) as its
// score in "{{prefix}:nodes}:clockerrs", in the nodes set's slot, and
// reads the largest error of a live node from that set's top, in
// O(log N) Redis work for N nodes, for the plain publishes' answer
// margin (heartbeat.go, late.go). Each presence channel also has a
// version, incremented by the join and leave scripts in the order Redis
// runs them: a join answers with the members and the version they are
// at, and member events carry the version of their change, so a node
// can leave out, for a subscriber, an event of another node that arrives
// after that subscriber's member list already held it.
//
// Channel occupancy (for the channel_occupied and channel_vacated
// webhooks) is a set per channel of the nodes with local subscribers,
// changed by Lua scripts that report the cluster's first and last node,
// so each transition fires once for the cluster. The reaping node tells
// its Handler (broker.ReapHandler) of the members and channels a dead
// node leaves behind, so exactly one node sends their webhooks.
// A departure held for the webhook grace (broker.Departure) is written
// by the leave or vacate script itself, next to the channel's keys, and
// taken by the first join or occupy script of a return or by Settle's
// script, whichever runs first (grace.go). Each is also kept in one
// sorted set by deadline, from which any live node takes the departures
// of a node that stopped or crashed (kept.go).
//
// The broker is also the webhook package's durable Store: a stream per
// app endpoint, read by the one node holding its lease (webhooks.go).
//
// # History
//
// A channel that keeps history (broker.HistoryPolicy) has a stream
// "{<channel's pub/sub name>}:h" (entry ids "0-<offset>") and a hash
// "{<channel's pub/sub name>}:m" (epoch and newest offset). The hash tag
// is the channel's whole pub/sub name, so in a cluster both keys and the
// SPUBLISH share one slot, and one Lua script appends the event (XADD
// with an approximate MAXLEN ~; reads count only the newest size events
// as kept), counts its offset, refreshes the TTL (PEXPIRE on both keys)
// and publishes it with its position: positions are assigned once per
// event for the whole cluster, in the order subscribers receive them.
// Publications of other channels are plain PUBLISH (SPUBLISH) commands,
// each followed by the SCARD of its channel's listener set and checked
// against it (plainpub.go); with Options.StrictRefusals, and while a
// channel is held up by a node that is not subscribed, they take the
// plain publish script instead. Concurrent publishes share one pipeline
// or, on a standalone Redis, one script call (history channels and the
// others each their own; coalesce.go); in a cluster each script call
// goes alone, since one call must stay on one slot.
//
// # Failure
//
// While Redis is unreachable, Ready and Publish return
// broker.ErrUnavailable (the HTTP API answers 503), nothing is queued, and
// already-connected clients stay connected. Channel subscriptions are
// retried with a backoff capped at one second and restored when Redis
// returns; if Redis lost its data, the node writes its share of the
// directory again from its local mirror. A standalone Redis that is down
// when New is called is the same outage: the broker starts unready.
//
// An accepted publication must reach every node subscribed to its
// channel, and Redis pub/sub neither stores nor replays. Four rules keep
// the publish path honest about that:
//
//   - A stalled Redis (SIGSTOP, a long fork, a slow disk) does not cost
//     the pub/sub connections: they have clients of their own without
//     rueidis's reply timeout and background PING (TCP keepalive still
//     ends them when the peer is gone), so subscriptions, and messages
//     Redis had queued on them, survive the stall. Subscribe commands on
//     them wait without a timeout for the same reason.
//
//   - A publication that waited in a stalled Redis past the point where
//     its caller was answered 503 must not arrive after a newer event of
//     its channel sent through another connection. A script publication
//     first compares Redis's clock (TIME) with the caller's deadline,
//     translated into Redis's clock by the offset the heartbeat
//     measures, and does nothing past it. A plain one carries bounds of
//     its send time and its caller's deadline, and the receiving nodes
//     drop it when it arrives after a publication sent past its
//     deadline (late.go); it may still arrive before, as an ambiguous
//     refusal. The script costs Redis CPU: BenchmarkPublishRedis
//     measured a third to two thirds of plain PUBLISH's rate when Redis
//     is the bottleneck (channels with history were scripts already).
//     The publish scripts go as EVALSHA, so Redis neither reads nor hashes
//     their text per call; a call Redis answers NOSCRIPT (its cache was
//     emptied) goes again as EVAL (evalsha.go).
//     BenchmarkRedisCPUPerPublish measures Redis's CPU per publication
//     against a bare PUBLISH.
//
//   - When a pub/sub connection is lost anyway (Redis restarted, a
//     cluster master failed over, a slot moved), each channel whose
//     confirmed subscription went with it refuses publications
//     (ErrUnavailable) until Redis confirms it again, so this node's own
//     subscribers never miss an accepted event. While nothing is being
//     restored the check is one atomic load. So is a publication that
//     reached no subscriber although Redis had confirmed this node's
//     subscription before it was sent (Redis dropped it and the node has
//     not noticed yet). One confirmed after it was sent is no such sign:
//     PUBLISH and SUBSCRIBE travel on different connections, Redis may
//     have run the PUBLISH first, and no subscriber had been told it was
//     subscribed; that publication, racing a subscribe, is accepted. A
//     subscriber told anyway, because Redis did not confirm within
//     AwaitListening's bound (2 s), makes its channel refuse
//     publications the same way until Redis confirms.
//
//   - Other nodes' subscribers are covered by listener sets: each
//     channel has a set, in its own hash slot, of the nodes with a
//     confirmed subscription to it (a node enters it after Redis
//     confirmed SUBSCRIBE/SSUBSCRIBE and leaves it before it
//     unsubscribes), and the publish script refuses (-2, ErrUnavailable)
//     when Redis counts fewer subscribers of the channel (PUBSUB NUMSUB,
//     SHARDNUMSUB in a cluster) than the set names nodes: a node is
//     restoring its pub/sub connection, or subscribing again on a newly
//     promoted cluster master. The price: a node that dies holding a
//     channel stays in its set until it is reaped, and the channel
//     refuses publications until then: about 2 s after its last
//     heartbeat when its process died (its connections closed), and
//     Options.NodeTTL after it when it only went silent (stalled, or its
//     machine cut off: still subscribed as far as Redis knows). The
//     refusal is a broker.UnavailableError that names the node and when
//     a retry may pass; the log sums refusals up per node. Finding that
//     node costs Redis three round trips for all the channels refused
//     while the previous lookup ran, off the path of other publications
//     (explain.go). A graceful stop leaves the sets at once.
//
// Not covered: messages Redis had queued on a connection that was really
// lost (a restarted Redis), entries a cluster master had not yet
// replicated when it failed (the set is then short, and the check
// weaker, never stricter), and a foreign client subscribed to a fanout
// channel (it counts as a subscriber).
//
// # Concurrency
//
// Every method is safe for concurrent use. Subscribe, Unsubscribe and the
// Directory's Count/Join/Leave/Occupy/Vacate never block on Redis: they update local
// state under the broker's lock and hand the Redis work to the broker's
// goroutines. Subscribe and Unsubscribe are reference counted, so a pair
// that arrives out of order still ends in the right state. The Handler is
// called from the hook goroutine of each pub/sub connection (one per
// cluster master), its ReapHandler methods from the reaper goroutine
// the heartbeat starts (one round at a time), and its DepartureHandler
// methods from the sweeper of kept departures the heartbeat starts (one
// round at a time); Close stops them all and waits for them.
//
// A pub/sub hook never waits for the handler. When the handler is a
// broker.Offerer it is offered each publication without waiting; one it
// has no room for goes to the broker's backlog (at most 4,096
// publications), which one goroutine offers again every few
// milliseconds. While a channel has publications in the backlog, later
// ones of that channel queue behind them, so each channel keeps its order
// and other channels are not held up. A full backlog drops the
// publication and reports it to the handler's broker.DropHandler (fanout
// counts it in fanout_overload_refusals_total{kind="delivery"} and closes
// the channel's subscribers on the node with 4100, so none of them is
// left with a gap it cannot see).
//
// Publish on a standalone Redis queues its publications under a
// coalescing queue's lock (one for history channels, one for the
// others); the caller that finds fewer than 32 script calls (the
// others: 1) in flight sends one with everything queued, and a
// short-lived goroutine sends the rest that queued meanwhile, until
// nothing waits. A caller whose context ends stops waiting; its
// publications are skipped by the script once their deadline passed.
// The callers of a call whose publications the listener check refused
// are answered by another short-lived goroutine, once their refusals are
// explained (explain.go): it waits for the lookup of the holdups, of
// which one is in flight at a time, each bounded by Options.Timeout,
// while the queue's next call goes out.
package redis
