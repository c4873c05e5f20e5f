package pusher

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fanout/fanout/broker"
	engine "github.com/fanout/fanout/delivery"
	"github.com/fanout/fanout/poller"
	"github.com/fanout/fanout/ratelimit"
	"github.com/fanout/fanout/shard"
	"github.com/panjf2000/ants/v2"
)

// Server is one fanout node's Pusher protocol endpoint.
type Server struct {
	opts  Options
	state StateObserver // o.Metrics's extension, or a nop
	// apps is the current generation of apps (apps_reload.go).
	apps     atomic.Pointer[appRegistry]
	reloadMu sync.Mutex // one ReplaceApps at a time
	hub      *shard.Hub[*conn]
	dir      broker.Directory // presence and occupancy (directory.go)
	graces   departures       // webhooks held for their grace (grace.go)
	wheels   [shard.NumShards]*shard.Wheel[*conn]
	poller   *poller.Poller
	pool     *ants.Pool
	ownPool  bool
	work     workQueue // runs work on pool in order (workqueue.go)
	http     *http.Server
	httpDone chan struct{} // closed when http.Serve returns (nil before Serve)
	handoff  *handoffListener
	// returning are event-stream and upgrade requests net/http hands back
	// (loop_return.go).
	returning returning
	node      uint64
	seq       atomic.Uint32
	clock     atomic.Int64 // unix nanoseconds, advanced by the ticker
	conns     atomic.Int64 // upgraded connections
	draining  atomic.Bool
	stop      chan struct{}
	// engine queues published events and writes them to subscribers
	// (delivery.go).
	engine *engine.Engine[*conn, broker.Publication]
	// outbox carries client and member events from the loops to a remote
	// broker (nil with the memory broker, which takes them at once).
	outbox []chan broker.Publication
	// queueLimit is the largest send queue of any app: the poller's bound,
	// and the one for connections without an app (/echo).
	queueLimit int
	wg         sync.WaitGroup
	snaps      sync.Pool // *[]*conn for fan-out snapshots

	// early holds, by *conn, the commands of connections not signed in
	// yet (signin_hold.go): a *signinHold.
	early sync.Map
	// unsignedLog rate-limits the summary of connections closed for not
	// signing in (signin_log.go); the ticker goroutine alone uses it.
	unsignedLog unsignedLog
	tap         tapField   // the console's watcher, nil when nobody watches (tap.go)
	subcounts   subCounts  // pending subscription_count events (subcount.go)
	watchers    watchlists // watchers of users' online state (watchlist.go)
	// ips counts connections per source address (iplimit.go); nil when
	// both of its limits are off.
	ips *ratelimit.IPTable

	// ioUringOnce logs once that Options.IOUring could not be honoured.
	ioUringOnce sync.Once
	// ioUringWorkers counts delivery workers and helpers writing through
	// an io_uring (gather.go).
	ioUringWorkers atomic.Int32
}

// New checks the options and builds a server; Listen and Serve start it.
func New(o Options) (*Server, error) {
	o.withDefaults()
	if len(o.Apps) == 0 {
		return nil, errors.New("pusher: no apps")
	}
	s := &Server{opts: o, hub: shard.New[*conn](), stop: make(chan struct{})}
	s.graces.wake = make(chan struct{}, 1)
	s.engine = newEngine(s)
	s.ips = ratelimit.NewIPTable(o.PerIP)
	s.state = stateObserver(o.Metrics)
	s.dir = broker.DirectoryOf(o.Broker, s)
	if _, local := o.Broker.(*broker.Memory); !local {
		s.outbox = newOutbox()
	}
	reg := newAppRegistry(len(o.Apps))
	for _, a := range o.Apps {
		if err := reg.add(a); err != nil {
			return nil, err
		}
		s.queueLimit = max(s.queueLimit, a.MaxQueuedBytes)
	}
	s.apps.Store(reg)
	s.pool = o.Pool
	if s.pool == nil {
		p, err := ants.NewPool(4*runtime.GOMAXPROCS(0), ants.WithExpiryDuration(10*time.Second),
			ants.WithNonblocking(true))
		if err != nil {
			return nil, fmt.Errorf("pusher: pool: %w", err)
		}
		s.pool, s.ownPool = p, true
	}
	s.work.pool = s.pool
	var b [4]byte
	_, _ = rand.Read(b[:])
	s.node = uint64(binary.LittleEndian.Uint32(b[:])&0x7fffffff | 1)
	now := o.Now()
	s.clock.Store(now.UnixNano())
	for i := range s.wheels {
		s.wheels[i] = shard.NewWheel[*conn](now, shard.WheelOptions{})
	}
	s.snaps.New = func() any { b := make([]*conn, 0, 256); return &b }
	s.watchers.seed = maphash.MakeSeed()
	return s, nil
}

// AppByID returns the app with this id, or nil.
func (s *Server) AppByID(id string) *App { return s.apps.Load().byID[id] }

// Listen binds addr with the poller and starts the broker.
func (s *Server) Listen(addr string) error {
	p, err := poller.Listen(addr, s, poller.Options{Loops: s.opts.EventLoops, MaxQueuedBytes: s.maxQueued(),
		OnAcceptError: s.opts.OnAcceptError})
	if err != nil {
		return err
	}
	if err := s.opts.Broker.Start(s); err != nil {
		p.Close()
		return fmt.Errorf("pusher: broker: %w", err)
	}
	s.poller = p
	s.handoff = newHandoffListener(p.Addr(), handoffQueue)
	handler := s.opts.HTTP
	if handler == nil {
		handler = http.NotFoundHandler()
	}
	// Plain HTTP (the API) gets bounded reads and writes too: a slow body
	// must not hold a goroutine for ever.
	handler = s.loopReturn(mutualTLS(s.closeWhileDraining(handler)))
	s.http = &http.Server{Handler: handler, ConnContext: connContext, ReadHeaderTimeout: s.opts.UpgradeTimeout,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second,
		MaxHeaderBytes: s.opts.MaxRequestSize, IdleTimeout: 60 * time.Second}
	return nil
}

// maxQueued is the largest per-connection send queue of all apps.
func (s *Server) maxQueued() int { return s.queueLimit }

// Addr returns the bound address (after Listen).
func (s *Server) Addr() *net.TCPAddr { return s.poller.Addr() }

// Serve runs the delivery workers, the event loops, the HTTP hand-off and
// the heartbeat ticker; it returns at once.
func (s *Server) Serve() { s.serve(true) }

// serve is Serve; without the ticker, time moves only when a test calls
// advance.
func (s *Server) serve(ticker bool) {
	s.startDelivery()
	s.startOutbox()
	s.poller.Serve()
	s.wg.Add(2)
	s.httpDone = make(chan struct{})
	go func() { defer s.wg.Done(); defer close(s.httpDone); _ = s.http.Serve(s.handoff) }()
	go func() { defer s.wg.Done(); s.sweepDepartures() }()
	if ticker {
		s.wg.Add(2)
		go func() { defer s.wg.Done(); s.tickLoop() }()
		go func() { defer s.wg.Done(); s.subCountLoop() }()
	}
}

func (s *Server) tickLoop() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	purge := 0
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			now := s.opts.Now()
			s.advance(now)
			s.logUnsigned(now)
			if purge++; purge%240 == 0 {
				s.hub.PurgeCache(now)
			}
		}
	}
}

// advance moves every wheel to now (the ticker calls it; tests call it
// with a fake clock).
func (s *Server) advance(now time.Time) {
	s.clock.Store(now.UnixNano())
	for _, w := range s.wheels {
		w.Advance(now, s.fire)
	}
}

func (s *Server) now() int64 { return s.clock.Load() }

func (s *Server) wheel(c *conn) *shard.Wheel[*conn] {
	return s.wheels[c.id%shard.NumShards]
}

// Conns returns the number of upgraded connections on this node.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Ready returns nil while the server accepts connections and its broker
// works; ErrAtCapacity while it holds Capacity connections.
func (s *Server) Ready() error {
	if s.draining.Load() {
		return errors.New("draining")
	}
	if s.atCapacity() {
		return ErrAtCapacity
	}
	return s.opts.Broker.Ready()
}

// Close stops everything at once: connections are dropped without a
// close handshake. Use Drain first for a graceful stop.
func (s *Server) Close() {
	select {
	case <-s.stop:
		return
	default:
		close(s.stop)
	}
	// HTTP first: publishes in progress still find the engine and the
	// broker (drain_http.go).
	s.stopHTTP()
	s.engine.Close()
	s.poller.Close()
	s.wg.Wait()
	if s.opts.BeforeBrokerClose != nil {
		s.opts.BeforeBrokerClose()
	}
	_ = s.opts.Broker.Close()
	if s.ownPool {
		s.pool.Release()
	}
	for _, a := range s.apps.Load().byKey {
		a.JWT.Close()
	}
}

// SetHTTP sets the handler for plain HTTP requests; call it before Listen.
func (s *Server) SetHTTP(h http.Handler) { s.opts.HTTP = h }
