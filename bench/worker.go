package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudwego/netpoll"
)

// readTimeout bounds the wait for the rest of a partially received frame.
const readTimeout = 30 * time.Second

// worker holds up to ~15,000 client sockets for its parent.
type worker struct {
	cfg   workerConfig
	lat   [latShards]latShard
	subs  latShard // dial → subscribed
	out   *json.Encoder
	outMu sync.Mutex

	next atomic.Int64 // local index of the next connection to dial
	open atomic.Int64 // subscribed and not closed
	subscribed, closed, failed,
	sent, refused atomic.Uint64

	signer *signer // per-connection tokens; nil without JWT

	tmu     sync.Mutex
	tlsCfgs map[string]*tls.Config // per wss:// host; built on first use

	fmu      sync.Mutex
	failures map[string]int

	mu      sync.Mutex
	clients map[*client]struct{}
	churn   atomic.Bool   // re-dial whenever a connection closes
	redial  chan struct{} // churn: one token per connection to replace
}

// runWorker is `bench worker`: config and commands on in, reports on out.
func runWorker(ctx context.Context, in io.Reader, out io.Writer) int {
	sc := bufio.NewScanner(in)
	if !sc.Scan() {
		return 2
	}
	w := &worker{out: json.NewEncoder(out), failures: map[string]int{}, clients: map[*client]struct{}{}}
	if err := json.Unmarshal(sc.Bytes(), &w.cfg); err != nil {
		w.emit(report{Type: "error", Error: "bad config: " + err.Error()})
		return 2
	}
	w.defaults()
	if w.cfg.Pollers > 0 {
		// One epoll loop per core rather than netpoll's default of one
		// per 20: a single loop did every read of the worker's sockets.
		if err := netpoll.Configure(netpoll.Config{PollerNum: w.cfg.Pollers}); err != nil {
			w.emit(report{Type: "error", Error: "netpoll: " + err.Error()})
			return 2
		}
	}
	if stop := startProfile(w.cfg.Index); stop != nil {
		defer stop()
	}
	if w.cfg.Auth.jwt() {
		s, err := newSigner(w.cfg.Auth)
		if err != nil {
			w.emit(report{Type: "error", Error: err.Error()})
			return 2
		}
		w.signer = s
	}
	cmds := make(chan command)
	go func() {
		defer close(cmds)
		for sc.Scan() {
			var c command
			if json.Unmarshal(sc.Bytes(), &c) == nil {
				cmds <- c
			}
		}
	}()
	return w.loop(ctx, cmds)
}

func (w *worker) defaults() {
	if w.cfg.Dialers <= 0 {
		w.cfg.Dialers = 64
	}
	if w.cfg.Timeout <= 0 {
		w.cfg.Timeout = 15
	}
	if w.cfg.Prefix == "" {
		w.cfg.Prefix = "bench-"
	}
	if w.cfg.Event == "" {
		w.cfg.Event = "bench"
	}
	if w.cfg.Workers <= 0 {
		w.cfg.Workers = 1
	}
}

// loop runs commands until stop, end of input, or ctx ends.
func (w *worker) loop(ctx context.Context, cmds <-chan command) int {
	done := make(chan struct{})
	defer close(done)
	go w.tick(done)
	for {
		select {
		case <-ctx.Done():
			w.stop()
			return 1
		case c, ok := <-cmds:
			if !ok || c.Cmd == "stop" {
				w.stop()
				return 0
			}
			w.do(ctx, c)
		}
	}
}

// tick reports progress every 500 ms, also while a command runs.
func (w *worker) tick(done <-chan struct{}) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			w.emit(w.snapshot("progress"))
		}
	}
}

func (w *worker) do(ctx context.Context, c command) {
	switch c.Cmd {
	case "grow":
		w.grow(ctx, c.N)
		r := w.snapshot("reached")
		r.N = c.N
		w.emit(r)
	case "churn":
		w.runChurn(ctx, c.N, time.Duration(c.Secs*float64(time.Second)))
		w.emit(w.snapshot("reached"))
	case "send":
		w.sendClientEvents(ctx, c.N, c.Rate, time.Duration(c.Secs*float64(time.Second)), c.Size)
		w.emit(w.snapshot("reached"))
	}
}

func (w *worker) emit(r report) {
	r.Worker = w.cfg.Index
	w.outMu.Lock()
	w.out.Encode(r)
	w.outMu.Unlock()
}

func (w *worker) snapshot(typ string) report {
	r := report{Type: typ, Open: w.open.Load(), Subscribed: w.subscribed.Load(),
		Closed: w.closed.Load(), Failed: w.failed.Load(), Delivered: w.deliveredCount(),
		Sent: w.sent.Load(), Refused: w.refused.Load()}
	w.fmu.Lock()
	r.Failures = make(map[string]int, len(w.failures))
	for k, v := range w.failures {
		r.Failures[k] = v
	}
	w.fmu.Unlock()
	return r
}

// stop closes every connection and writes the result line.
func (w *worker) stop() {
	w.churn.Store(false)
	w.mu.Lock()
	all := make([]*client, 0, len(w.clients))
	for c := range w.clients {
		all = append(all, c)
	}
	w.mu.Unlock()
	for _, c := range all {
		c.close()
	}
	r := w.snapshot("result")
	h, _ := mergeShards(&w.lat)
	s := h.toSparse()
	r.Hist = &s
	w.subs.mu.Lock()
	ss := w.subs.h.toSparse()
	w.subs.mu.Unlock()
	r.SubHist = &ss
	w.emit(r)
}

func (w *worker) addFailure(reason string) {
	w.failed.Add(1)
	w.fmu.Lock()
	if len(w.failures) < 64 {
		w.failures[reason]++
	} else {
		w.failures["other"]++
	}
	w.fmu.Unlock()
}

// dialOne opens, upgrades and subscribes connection local index i; the
// handshake completes on netpoll's loop after it returns.
func (w *worker) dialOne(ctx context.Context, i int) {
	g := i*w.cfg.Workers + w.cfg.Index
	base := w.cfg.URLs[g%len(w.cfg.URLs)]
	u, err := url.Parse(base)
	if err != nil {
		w.addFailure("bad url")
		return
	}
	raddr, err := net.ResolveTCPAddr("tcp", u.Host)
	if err != nil {
		w.addFailure("resolve")
		return
	}
	laddr := &netpoll.TCPAddr{}
	if n := len(w.cfg.SrcIPs); n > 0 {
		laddr.IP = net.ParseIP(w.cfg.SrcIPs[i%n])
	}
	timeout := time.Duration(w.cfg.Timeout * float64(time.Second))
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	c := &client{w: w, shard: &w.lat[i%latShards], g: g, channel: w.channelOf(g), started: start}
	if isTLSURL(u) {
		tc, reason := w.dialTLS(dctx, laddr.IP, raddr, u.Host)
		if tc == nil {
			if ctx.Err() == nil {
				w.addFailure(reason)
				w.needRedial()
			}
			return
		}
		c.conn = tc
		w.track(c)
		go c.readLoop(tc.r)
	} else {
		conn, err := netpoll.DialTCP(dctx, "tcp", laddr, &netpoll.TCPAddr{TCPAddr: *raddr})
		if err != nil {
			if ctx.Err() != nil {
				return // the run or the churn period ended mid-dial
			}
			reason := dialReason(err)
			if isNetpollClosed(err) {
				reason = probeDialError(ctx, laddr.IP, raddr, timeout)
			}
			w.addFailure(reason)
			w.needRedial()
			return
		}
		c.conn = conn
		w.track(c)
		conn.SetReadTimeout(readTimeout)
		conn.SetOnRequest(c.onRequest)
		conn.AddCloseCallback(func(netpoll.Connection) error {
			c.finish("closed by server")
			return nil
		})
	}
	var query, headers string
	if w.signer != nil {
		tok, err := w.signer.token(w.cfg.Auth.sub(g))
		if err != nil {
			c.fail("token: " + err.Error())
			return
		}
		var name, value string
		query, name, value = w.cfg.Auth.upgradeParts(tok)
		if name != "" {
			headers = name + ": " + value + "\r\n"
		}
	}
	req := ""
	if w.cfg.Protocol == "centrifugo" {
		req = fmt.Sprintf("GET %s/connection/websocket HTTP/1.1\r\n"+
			"Host: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
			pathPrefix(u), u.Host)
	} else if w.cfg.SSE {
		req = fmt.Sprintf("GET %s/app/%s/sse?channel=%s%s HTTP/1.1\r\nHost: %s\r\n%s\r\n",
			pathPrefix(u), w.cfg.Key, url.QueryEscape(c.channel), query, u.Host, headers)
	} else {
		req = fmt.Sprintf("GET %s/app/%s?protocol=7&client=fanout-bench&version=1.0%s HTTP/1.1\r\n"+
			"Host: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n%s"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
			pathPrefix(u), w.cfg.Key, query, u.Host, headers)
	}
	c.wmu.Lock()
	_, err = c.conn.Writer().WriteString(req)
	if err == nil {
		err = c.conn.Writer().Flush()
	}
	c.wmu.Unlock()
	if err != nil {
		c.fail("write upgrade")
	}
}

// track adds c to the clients stop closes.
func (w *worker) track(c *client) {
	w.mu.Lock()
	w.clients[c] = struct{}{}
	w.mu.Unlock()
}

// dialTLS connects from ip to raddr and completes a TLS handshake for
// host within ctx; on failure it returns nil and the reason to count.
func (w *worker) dialTLS(ctx context.Context, ip net.IP, raddr *net.TCPAddr, host string) (*tlsConn, string) {
	cfg, err := w.tlsConfig(host)
	if err != nil {
		return nil, "tls config"
	}
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}}
	nc, err := d.DialContext(ctx, "tcp", raddr.String())
	if err != nil {
		return nil, dialReason(err)
	}
	tc := tls.Client(nc, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		if tcp, ok := nc.(*net.TCPConn); ok {
			tcp.SetLinger(0)
		}
		nc.Close()
		return nil, tlsReason(err)
	}
	return newTLSConn(tc), ""
}

// tlsConfig is the client configuration for host, built once per host.
func (w *worker) tlsConfig(host string) (*tls.Config, error) {
	w.tmu.Lock()
	defer w.tmu.Unlock()
	if cfg := w.tlsCfgs[host]; cfg != nil {
		return cfg, nil
	}
	cfg, err := w.cfg.TLS.config(host)
	if err != nil {
		return nil, err
	}
	if w.tlsCfgs == nil {
		w.tlsCfgs = map[string]*tls.Config{}
	}
	w.tlsCfgs[host] = cfg
	return cfg, nil
}

// channelOf names the channel global connection g joins: the run's one
// channel, else its share of the spread, on a presence channel for the
// presence share.
func (w *worker) channelOf(g int) string {
	if w.cfg.Channel != "" {
		return w.cfg.Channel
	}
	name := w.cfg.Prefix + strconv.Itoa(channelOf(g, w.cfg.Channels))
	if w.cfg.Auth.presence(g) {
		return "presence-" + name
	}
	return name
}

func pathPrefix(u *url.URL) string {
	p := u.Path
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// onSubscribed runs on a netpoll goroutine when c's subscription succeeds.
func (w *worker) onSubscribed(c *client) {
	w.subs.record(time.Since(c.started).Nanoseconds())
	w.subscribed.Add(1)
	w.open.Add(1)
	if w.churn.Load() {
		c.close()
	}
}

// onClosed runs once per client, on whichever goroutine closed it.
func (w *worker) onClosed(c *client, prev int32, reason string) {
	w.mu.Lock()
	delete(w.clients, c)
	w.mu.Unlock()
	if prev == stSubscribed {
		w.open.Add(-1)
	}
	switch {
	case reason == "":
		w.closed.Add(1)
	case prev == stSubscribed:
		w.addFailure("dropped: " + reason)
	default:
		w.addFailure(reason)
	}
	w.needRedial()
}

func (w *worker) needRedial() {
	if !w.churn.Load() {
		return
	}
	select {
	case w.redial <- struct{}{}:
	default:
	}
}
