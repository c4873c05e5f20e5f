package pusher

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/ratelimit"
	"github.com/fanout/fanout/tlsconn"
	"github.com/panjf2000/ants/v2"
)

// Options configure a Server. The zero value of each field means the
// default given on it.
type Options struct {
	// Apps are the tenants; at least one.
	Apps []*App
	// ActivityTimeout is announced to clients and is the silence after
	// which the server pings; 0 means 120 s.
	ActivityTimeout time.Duration
	// PongTimeout is how long a pinged connection has to answer; 0 means
	// 30 s.
	PongTimeout time.Duration
	// UpgradeTimeout bounds the arrival of the upgrade request; 0 means 5 s.
	UpgradeTimeout time.Duration
	// CloseTimeout bounds the close handshake after the server's close
	// frame; 0 means 5 s.
	CloseTimeout time.Duration
	// MaxRequestSize bounds the upgrade request head; 0 means 8 KiB.
	MaxRequestSize int
	// MaxMessageSize bounds a WebSocket message; 0 means 64 KiB.
	MaxMessageSize int64
	// MaxConnections caps this node's WebSocket connections (its
	// capacity): an upgrade beyond it is refused with HTTP 503 and
	// Retry-After, and Ready reports ErrAtCapacity while it is reached. 0
	// means DefaultCapacity(), derived from the open-file limit; a
	// negative value means no cap.
	MaxConnections int
	// OnAcceptError, when set, is called with each accept(2) error that
	// paused an event loop's listener (EMFILE, ENFILE, ENOBUFS, ENOMEM; a
	// unix.Errno), on the loop goroutine; it must not block.
	OnAcceptError func(err error)
	// EventLoops is the number of poller event loops; 0 means GOMAXPROCS.
	EventLoops int
	// IOUring hands each delivery worker's part of a fan-out (up to 1,024
	// subscribers) to the kernel in one io_uring_enter(2) rather than a
	// write(2) per subscriber (poller.SendBatch). Where the kernel lacks
	// io_uring or forbids it, the workers log it once, tell
	// IOUringObserver and write as without it; a worker whose ring fails
	// later logs it, tells IOUringFailureObserver and does the same
	// (gatherfail.go). false means off.
	IOUring bool
	// Echo serves GET /echo as a plain WebSocket echo (conformance runs).
	Echo bool
	// Broker carries publications between nodes; nil means a single-node
	// memory broker.
	Broker broker.Broker
	// Pool runs token checks that may fetch a key set; nil means a
	// non-blocking pool of 4×GOMAXPROCS workers. A pool given here must be
	// non-blocking (ants.WithNonblocking): the event loops submit to it
	// and must never wait.
	Pool *ants.Pool
	// HTTP serves requests that are not WebSocket upgrades (the HTTP API,
	// health checks); nil answers them 404.
	HTTP http.Handler
	// TLS, when set, terminates TLS on every connection of the listener
	// (WebSocket and plain HTTP alike); nil serves plain TCP.
	TLS *tlsconn.Server
	// PerIP limits each source address's connections and upgrade rate
	// (iplimit.go); its zero value is ratelimit's defaults (10,000
	// connections, 200 upgrades a second with a burst of 400).
	PerIP ratelimit.IPOptions
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client for PerIP; nil trusts none (the peer is the client).
	TrustedProxies *ratelimit.Proxies
	// Metrics observes the server; nil records nothing.
	Metrics Observer
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now (tests pass a fake one).
	Now func() time.Time
	// BeforeBrokerClose, when set, is called once by Close after the
	// connections are closed and held webhooks settled, and before the
	// broker closes (a durable webhook queue flushes into it there).
	BeforeBrokerClose func()
}

func (o *Options) withDefaults() {
	if o.ActivityTimeout <= 0 {
		o.ActivityTimeout = 120 * time.Second
	}
	if o.PongTimeout <= 0 {
		o.PongTimeout = 30 * time.Second
	}
	if o.UpgradeTimeout <= 0 {
		o.UpgradeTimeout = 5 * time.Second
	}
	if o.CloseTimeout <= 0 {
		o.CloseTimeout = 5 * time.Second
	}
	if o.MaxRequestSize <= 0 {
		o.MaxRequestSize = 8 << 10
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 64 << 10
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = DefaultCapacity()
	}
	if o.Broker == nil {
		o.Broker = broker.NewMemory()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Metrics == nil {
		o.Metrics = nopObserver{}
	}
}
