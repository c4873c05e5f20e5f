package redis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/fanout/fanout/broker"
	"github.com/redis/rueidis"
)

// Broker joins fanout nodes through Redis. It implements broker.Broker
// and broker.Directory.
type Broker struct {
	opts   Options
	client rueidis.Client
	psOpts rueidis.ClientOption // for the pub/sub connections (see dedicate)
	h      broker.Handler
	policy broker.HistoryPolicy // from h at Start; nil keeps no history

	ctx  context.Context // cancelled by Close
	stop context.CancelFunc
	wg   sync.WaitGroup

	healthy  atomic.Bool
	onHealth atomic.Pointer[healthFunc] // see OnHealth
	onLate   atomic.Pointer[func()]     // see OnLate
	reaping  atomic.Bool                // a reaper round runs (heartbeat.go)
	sweeping atomic.Bool                // a sweep of kept departures runs (kept.go)
	// clockSkew is Redis's clock minus this node's, in ms, as the
	// heartbeat last measured it (see redisDeadline).
	clockSkew atomic.Int64
	// clockErr bounds clockSkew's error, in ms: half the round trip it
	// was measured in.
	clockErr atomic.Int64
	// clock is the last measurement, for stamps (late.go).
	clock atomic.Pointer[clockMeasure]
	// peerClockErr is the largest clockErr a live node reported at this
	// node's last heartbeat (ms; late.go).
	peerClockErr atomic.Int64
	// patternSubs: at the last heartbeat, a standalone Redis had a
	// client subscribed by pattern, which PUBLISH's count includes
	// (plainpub.go).
	patternSubs atomic.Bool
	// lost counts the interests whose confirmed subscription a lost
	// connection or a moved slot took away and that are not confirmed
	// again yet (interest.lost); Publish looks them up only while it is
	// not zero. Written under mu.
	lost atomic.Int64
	// confirms counts the subscriptions Redis confirmed (interest.first):
	// a publish reads it before it is sent, to tell a publication from
	// before a subscription from one the subscription missed.
	confirms atomic.Uint64

	mu      sync.Mutex
	closed  bool
	subs    map[string]*interest // Redis channel name → local interest
	conns   map[string]*psConn   // pub/sub connections by master ("" standalone)
	slots   []string             // cluster slot → master address; nil until read
	reroute chan struct{}        // wakes the cluster router

	dir directory

	// listMu orders listener set writes with retire: list holds it shared
	// and writes nothing once retired is set; retire sets it, exclusively,
	// before it removes this node from every set, so no SADD can land
	// after that removal and leave a retired node listed for good.
	listMu  sync.RWMutex
	retired bool

	backlog *backlog // publications the handler has no room for yet

	keptQ  callQueue[kept]     // concurrent publishes of history channels, coalesced
	plainQ callQueue[plainPub] // concurrent publishes of other channels, coalesced
	// plainCmdQ: the same, as plain commands (plainpub.go)
	plainCmdQ callQueue[plainPub]

	refusals refusalLog            // refused publications, summed up in the log
	holdUps  holdUpCache           // why each channel's publications were last refused
	holdUpQ  callQueue[*holdUpAsk] // refused channels whose holdup is looked up (explain.go)
	reaped   reapedSets            // listener sets this node took reaped nodes out of (reaped.go)
	late     lateFilter            // publications that ran after their caller gave up (late.go)
}

// New connects to Redis. A standalone Redis that cannot be reached now is
// an outage like any later one: the broker starts unready (Ready and
// Publish answer broker.ErrUnavailable, local delivery goes on) and
// catches up when Redis appears. A cluster whose layout cannot be read,
// or a Sentinel setup where no sentinel names a master that answers as
// one (every sentinel down, or a failover under way), fails with
// ConnectError, since without it no command can be routed.
func New(o Options) (*Broker, error) {
	o = o.withDefaults()
	co, err := o.clientOption()
	if err != nil {
		return nil, err
	}
	co.DisableCache = true
	co.ForceSingleClient = !o.Cluster
	co.ConnWriteTimeout = o.Timeout
	if o.Cluster {
		co.ShuffleInit = true
	}
	// With ForceSingleClient, rueidis returns a client that dials again on
	// its next command even when this first dial failed. A Sentinel client
	// (which takes precedence over ForceSingleClient) is only returned once
	// a sentinel named a master that answers as one.
	c, err := rueidis.NewClient(co)
	if c == nil {
		return nil, ConnectError{Addr: o.addr(), Err: err}
	}
	if err != nil {
		o.Logger.Warn("redis unreachable at start; serving local clients, publishes answer 503 until it returns",
			"addr", o.addr(), "err", err)
	}
	// Each pub/sub connection is a client of its own (see dedicate); with
	// Sentinel each asks the sentinels for the master as it connects, so
	// after a failover it reconnects to the promoted replica.
	ps := co
	ps.ForceSingleClient = true // one server per client: Redis or one master
	ps.ConnWriteTimeout = -1    // no reply timeout, no background PING
	b := &Broker{opts: o, client: c, psOpts: ps, subs: map[string]*interest{}, conns: map[string]*psConn{},
		reroute: make(chan struct{}, 1), refusals: refusalLog{logger: o.Logger}}
	b.ctx, b.stop = context.WithCancel(context.Background())
	b.dir.init()
	b.healthy.Store(err == nil)
	return b, nil
}

// Start implements broker.Broker: it subscribes the control channel and
// the node's alive channel (see crashed.go) and starts the heartbeat
// (and, for a cluster, the router of channels to masters).
func (b *Broker) Start(h broker.Handler) error {
	b.h = h
	b.policy, _ = h.(broker.HistoryPolicy)
	b.backlog = newBacklog()
	if o, ok := h.(broker.Offerer); ok {
		b.wg.Add(1)
		go b.drainBacklog(o)
	}
	b.wg.Add(1)
	go b.heartbeat()
	if b.opts.Cluster {
		b.wg.Add(1)
		go b.router()
		if slots, err := b.fetchSlots(); err == nil {
			b.applySlots(slots)
		}
	}
	b.adjust(b.controlName(), 1)
	b.adjust(b.aliveName(b.opts.NodeID), 1)
	return nil
}

// Ready implements broker.Broker: nil while Redis answers.
func (b *Broker) Ready() error {
	if b.isClosed() {
		return broker.ErrClosed
	}
	if !b.healthy.Load() {
		return broker.ErrUnavailable
	}
	return nil
}

// NodeID is this node's name in the directory.
func (b *Broker) NodeID() string { return b.opts.NodeID }

// Close implements broker.Broker: it removes this node's directory
// entries (best effort), stops every goroutine and closes the client.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.retire()
	b.stop()
	b.wg.Wait()
	b.client.Close()
	return nil
}

func (b *Broker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// call bounds one Redis round trip by Options.Timeout.
func (b *Broker) call(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = b.ctx
	}
	return context.WithTimeout(ctx, b.opts.Timeout)
}

// redactURL hides a password in a URL for logs and errors.
func redactURL(u string) string {
	co, err := rueidis.ParseURL(u)
	if err != nil || co.Password == "" {
		return u
	}
	return "redis://***@" + fmt.Sprint(co.InitAddress)
}

// ConnectError is New's error when Redis cannot be reached (a bad URL is
// a plain error): the configuration may be right and Redis merely down.
type ConnectError struct {
	Addr string
	Err  error
}

func (e ConnectError) Error() string { return "redis: connect " + e.Addr + ": " + e.Err.Error() }

func (e ConnectError) Unwrap() error { return e.Err }
