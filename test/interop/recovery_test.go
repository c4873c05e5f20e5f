package interop

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/broker/redis"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// TestRecoveryHelperSingleNode: pusher-js with the recovery helper loses
// its socket (cut by a proxy in front of the node, as a network or load
// balancer would), 100 events go out meanwhile, and after pusher-js
// reconnects by itself it has every event once, in order.
func TestRecoveryHelperSingleNode(t *testing.T) {
	needNode(t)
	n := fantest.Start(t, historyConfig(), nil)
	runRecovery(t, []*fantest.Node{n}, "single")
}

// TestRecoveryHelperRedis: the same over two nodes sharing Redis, the
// client coming back on the other node, after a socket cut and after a
// drain of its node.
func TestRecoveryHelperRedis(t *testing.T) {
	needNode(t)
	runRecovery(t, startRedisPair(t, historyConfig(), "rec"), "redis")
}

// startRedisPair starts a redis-server and two nodes with cfg sharing it
// under prefix.
func startRedisPair(t *testing.T, cfg config.Config, prefix string) []*fantest.Node {
	url := startRedisServer(t)
	var nodes []*fantest.Node
	for range 2 {
		b, err := redis.New(redis.Options{URL: url, Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, fantest.Start(t, cfg, b))
	}
	return nodes
}

func historyConfig() config.Config {
	cfg := fantest.Config()
	cfg.Apps[0].History = []config.History{
		{Channels: "orders-*", Size: 1000, TTL: time.Minute},
		{Channels: "short-*", Size: 5, TTL: time.Minute},
	}
	return cfg
}

// runRecovery runs recovery.mjs with a cuttable proxy in front of the
// nodes and a control endpoint the script drives.
func runRecovery(t *testing.T, nodes []*fantest.Node, mode string) {
	p := startCutProxy(t, nodes[0].Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("POST /cut", func(w http.ResponseWriter, r *http.Request) { p.cut() })
	mux.HandleFunc("POST /up", func(w http.ResponseWriter, r *http.Request) { p.setDown(false) })
	mux.HandleFunc("POST /target", func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("node"))
		p.setTarget(nodes[i].Addr())
	})
	mux.HandleFunc("POST /drain", func(w http.ResponseWriter, r *http.Request) {
		i, _ := strconv.Atoi(r.URL.Query().Get("node"))
		p.setDown(true)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = nodes[i].Drain(ctx, 100*time.Millisecond)
	})
	ctl := &http.Server{Handler: mux}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ctl.Serve(l) }()
	t.Cleanup(func() { _ = ctl.Close() })
	var ports []string
	for _, n := range nodes {
		_, port, _ := net.SplitHostPort(n.Addr())
		ports = append(ports, port)
	}
	app := nodes[0].Cfg.Apps[0]
	tg := target{addr: nodes[0].Addr(), appID: app.ID, key: app.Key, secret: app.Secret}
	_, proxyPort, _ := net.SplitHostPort(p.l.Addr().String())
	t.Setenv("FANOUT_PORTS", strings.Join(ports, ","))
	t.Setenv("FANOUT_PROXY_PORT", proxyPort)
	t.Setenv("FANOUT_CONTROL", "http://"+l.Addr().String())
	t.Setenv("FANOUT_MODE", mode)
	run(t, tg, "node", "--test", "recovery.mjs")
}

// proxy forwards TCP to a target node; cut closes every forwarded
// connection and refuses new ones until setDown(false).
type proxy struct {
	l      net.Listener
	mu     sync.Mutex
	target string
	down   bool
	conns  map[net.Conn]struct{}
}

func startCutProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() { l.Close(); p.cut() })
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down, target := p.down, p.target
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { _, _ = io.Copy(up, c); up.Close(); c.Close() }()
		go func() { _, _ = io.Copy(c, up); up.Close(); c.Close() }()
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *proxy) setDown(d bool) { p.mu.Lock(); p.down = d; p.mu.Unlock() }

func (p *proxy) setTarget(a string) { p.mu.Lock(); p.target = a; p.mu.Unlock() }
