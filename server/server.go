package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/console"
	"github.com/fanout/fanout/httpapi"
	"github.com/fanout/fanout/metrics"
	"github.com/fanout/fanout/pusher"
	"github.com/fanout/fanout/tlsconn"
	"github.com/fanout/fanout/webhook"
)

// Node is one running fanout server.
type Node struct {
	cfg     config.Config
	log     *slog.Logger
	Pusher  *pusher.Server
	Metrics *metrics.Metrics
	// apps are the served apps by id, replaced by ReloadApps under appsMu.
	apps   map[string]*builtApp
	appsMu sync.Mutex
	// webhookStore keeps webhook queues durable (the Redis broker), nil
	// in memory.
	webhookStore webhook.Store
	accept       *acceptErrors
	metricsS     *http.Server
	metricsL     net.Listener
	tls          *tlsconn.Server // nil without TLS
	certs        *tlsconn.Certs
	broker       broker.Broker
	// The web console (console.go): nil when no credential is set.
	console     *console.Console
	consolePW   string
	consoleHook consoleHook
}

// New builds a node from cfg; Start binds and runs it.
func New(cfg config.Config, log *slog.Logger, b broker.Broker) (*Node, error) {
	n := &Node{cfg: cfg, log: log, Metrics: metrics.New(), broker: b}
	n.accept = &acceptErrors{m: n.Metrics, log: log, interval: logInterval}
	pw, err := consolePassword(cfg.Console)
	if err != nil {
		return nil, err
	}
	n.consolePW = pw
	if hr, ok := b.(broker.HealthReporter); ok {
		hr.OnHealth(n.Metrics.BrokerHealth)
	}
	if lr, ok := b.(broker.LateReporter); ok {
		lr.OnLate(n.Metrics.BrokerLate)
	}
	n.webhookStore, _ = b.(webhook.Store) // Redis: webhook queues survive a restart
	apps, built, err := n.buildApps(cfg.Apps, nil)
	if err != nil {
		return nil, err
	}
	n.commitApps(built)
	if cfg.Server.TLS.Enabled() {
		t, err := n.newTLS(cfg.Server.TLS)
		if err != nil {
			return nil, err
		}
		n.tls = t
	}
	ps, err := pusher.New(pusher.Options{
		Apps: apps, ActivityTimeout: cfg.Heartbeat.ActivityTimeout, PongTimeout: cfg.Heartbeat.PongTimeout,
		UpgradeTimeout: cfg.Server.UpgradeTimeout, MaxRequestSize: cfg.Server.MaxRequestSize,
		MaxMessageSize: int64(cfg.Server.MaxMessageSize), MaxConnections: cfg.Server.MaxConnections,
		EventLoops: cfg.Server.EventLoops, IOUring: cfg.Server.IOUring, Echo: cfg.Server.Echo, Broker: b, Metrics: observer{n.Metrics}, Logger: log,
		OnAcceptError: func(err error) { n.accept.report("websocket", err) },
		TLS:           n.tls,
		// Webhook queues flush while the broker (a durable queue's
		// store) still runs.
		BeforeBrokerClose: n.closeHooks,
		PerIP:             cfg.Limits.IPOptions(), TrustedProxies: cfg.Limits.Proxies(),
	})
	if err != nil {
		n.closeTLS()
		return nil, err
	}
	n.Pusher = ps
	n.Metrics.SetCapacity(ps.Capacity())
	n.Metrics.SetReadiness(func() bool { return ps.Ready() == nil })
	return n, nil
}

// Start binds the listeners and serves.
func (n *Node) Start() error {
	api := httpapi.New(n.Pusher, n.apiOptions(httpapi.Options{
		Refused: func(app string) { n.Metrics.Published(app, metrics.PublishError) },
		APIRate: n.apiRate(), Throttled: n.Metrics.APIThrottled,
		Observe: n.Metrics.HTTPRequest,
	}))
	n.Pusher.SetHTTP(api)
	if err := n.Pusher.Listen(n.cfg.Server.Addr); err != nil {
		return fmt.Errorf("listen %s: %w", n.cfg.Server.Addr, err)
	}
	if a := n.cfg.Server.MetricsAddr; a != "" {
		l, err := net.Listen("tcp", a)
		if err != nil {
			n.Pusher.Close()
			return fmt.Errorf("metrics listen %s: %w", a, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", n.Metrics.Handler())
		n.metricsL = l
		if n.consolePW != "" {
			if err := n.mountConsole(mux, api); err != nil {
				_ = l.Close()
				n.Pusher.Close()
				return fmt.Errorf("console: %w", err)
			}
		}
		l = &pausingListener{Listener: l, errs: n.accept, name: "metrics", backoff: 100 * time.Millisecond}
		n.metricsS = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = n.metricsS.Serve(l) }()
	}
	n.Pusher.Serve()
	n.log.Info("fanout serving", "addr", n.Pusher.Addr().String(), "metrics", n.MetricsAddr(), "apps", len(n.cfg.Apps),
		"capacity", n.Pusher.Capacity())
	return nil
}

// Addr is the WebSocket and HTTP API address.
func (n *Node) Addr() string { return n.Pusher.Addr().String() }

// MetricsAddr is the bound metrics address, or "".
func (n *Node) MetricsAddr() string {
	if n.metricsL == nil {
		return ""
	}
	return n.metricsL.Addr().String()
}

// Drain closes every connection with 4200 spread over the window.
func (n *Node) Drain(ctx context.Context, window time.Duration) error {
	n.log.Info("draining", "connections", n.Pusher.Conns(), "window", window)
	return n.Pusher.Drain(ctx, window)
}

// Close stops everything.
func (n *Node) Close() {
	n.Pusher.Close()
	n.closeTLS()
	if n.console != nil {
		n.console.Close()
	}
	if n.metricsS != nil {
		_ = n.metricsS.Close()
	}
}

// closeHooks flushes and stops the webhook senders, within 2 s in all:
// what is not delivered (or, with Redis, stored) by then is counted as
// dropped, and logged, since the count goes with the process.
func (n *Node) closeHooks() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n.appsMu.Lock()
	defer n.appsMu.Unlock()
	var lost uint64
	for _, b := range n.apps {
		lost += n.closeSender(ctx, b.hook.Load())
	}
	switch {
	case lost > 0 && !n.cfg.Redis.Enabled():
		n.log.Warn("webhook events dropped at stop: the endpoint did not take them within 2s, and without Redis the queue lives in memory", "events", lost)
	case lost > 0:
		n.log.Warn("webhook events dropped at stop: neither the endpoint nor Redis took them within 2s", "events", lost)
	}
}

func (n *Node) closeTLS() {
	if n.tls != nil {
		n.tls.Close()
	}
}
