package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Watcher probes: a probe that takes longer than StallAfter counts as a
// stall; one with no answer within ProbeTimeout is a failure (and a
// stall).
const (
	StallAfter   = 2 * time.Second
	ProbeTimeout = 5 * time.Second
)

// probeChannel is the public channel of the watcher's one subscriber.
const probeChannel = "bench-probe"

// watcher measures, from the parent and apart from the workers, how a
// server under load answers a newcomer: the time from dial to
// pusher:connection_established of a new connection, and the time from
// an HTTP API publish to its arrival at the one subscriber of another
// channel.
type watcher struct {
	o      *Options
	signer *signer
	http   *http.Client
	sub    *websocket.Conn
	got    chan uint64 // seqs of probe events the subscriber received
	seq    uint64

	mu          sync.Mutex
	connH, pubH Histogram
	conn, pub   ProbeSummary
	failures    map[string]int
	readDone    chan struct{}
}

func newWatcher(ctx context.Context, o *Options) (*watcher, error) {
	w := &watcher{o: o, got: make(chan uint64, 64), failures: map[string]int{},
		http:     &http.Client{Timeout: ProbeTimeout, Transport: &http.Transport{TLSClientConfig: o.tlsFor(o.APIURL)}},
		readDone: make(chan struct{})}
	if o.Auth.jwt() {
		s, err := newSigner(o.Auth)
		if err != nil {
			return nil, err
		}
		w.signer = s
	}
	c, _, err := w.dial(ctx, "watcher")
	if err != nil {
		return nil, fmt.Errorf("bench: watcher: %w", err)
	}
	w.sub = c
	c.SetWriteDeadline(time.Now().Add(ProbeTimeout))
	if err := c.WriteMessage(websocket.TextMessage, subscribeMsg(probeChannel)); err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: watcher: %w", err)
	}
	if err := awaitEvent(c, "pusher_internal:subscription_succeeded", time.Now().Add(ProbeTimeout)); err != nil {
		c.Close()
		return nil, fmt.Errorf("bench: watcher: subscribe %s: %w", probeChannel, err)
	}
	c.SetReadDeadline(time.Time{})
	go w.read()
	return w, nil
}

// dial opens a connection as user sub and waits for
// pusher:connection_established; it returns the time that took.
func (w *watcher) dial(ctx context.Context, sub string) (*websocket.Conn, time.Duration, error) {
	u := strings.TrimRight(w.o.URLs[0], "/") + "/app/" + w.o.AppKey + "?protocol=7&client=fanout-bench-watcher&version=1.0"
	d := websocket.Dialer{HandshakeTimeout: ProbeTimeout, TLSClientConfig: w.o.tlsFor(w.o.URLs[0])}
	h := http.Header{}
	if w.signer != nil {
		tok, err := w.signer.token(w.o.Auth.SubPrefix + sub)
		if err != nil {
			return nil, 0, err
		}
		q, name, value := w.o.Auth.upgradeParts(tok)
		u += q
		if name != "" {
			h.Set(name, value)
		}
	}
	dctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	start := time.Now()
	c, resp, err := d.DialContext(dctx, u, h)
	if err != nil {
		if resp != nil {
			return nil, 0, fmt.Errorf("upgrade: HTTP %d", resp.StatusCode)
		}
		return nil, 0, errors.New(transportReason(err))
	}
	if err := awaitEvent(c, "pusher:connection_established", start.Add(ProbeTimeout)); err != nil {
		c.Close()
		return nil, 0, err
	}
	return c, time.Since(start), nil
}

// awaitEvent reads c until a message with event name arrives, until
// deadline; a pusher:error on the way is returned.
func awaitEvent(c *websocket.Conn, name string, deadline time.Time) error {
	c.SetReadDeadline(deadline)
	for {
		_, msg, err := c.ReadMessage()
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("no %s within %s", name, ProbeTimeout)
			}
			return err
		}
		ev, _ := stringField(msg, "event")
		switch string(ev) {
		case name:
			return nil
		case "pusher:error", "pusher:subscription_error":
			return fmt.Errorf("%s: %s", ev, msg[:min(len(msg), 200)])
		}
	}
}

// read passes the seqs of probe events to w.got and answers pings.
func (w *watcher) read() {
	defer close(w.readDone)
	for {
		_, msg, err := w.sub.ReadMessage()
		if err != nil {
			return
		}
		ev, _ := stringField(msg, "event")
		switch string(ev) {
		case "probe":
			if data, ok := stringField(msg, "data"); ok {
				if seq, _, ok := parseBenchData(data); ok {
					select {
					case w.got <- seq:
					default:
					}
				}
			}
		case "pusher:ping":
			w.sub.SetWriteDeadline(time.Now().Add(ProbeTimeout))
			w.sub.WriteMessage(websocket.TextMessage, pongMsg)
		}
	}
}

// probe runs one connect probe and one publish probe.
func (w *watcher) probe(ctx context.Context) {
	c, took, err := w.dial(ctx, fmt.Sprintf("probe-%d", w.seq))
	if c != nil {
		c.Close()
	}
	w.record(&w.conn, &w.connH, took, err, "new connection")
	took, err = w.publish(ctx)
	w.record(&w.pub, &w.pubH, took, err, "publish")
}

// publish triggers one event on probeChannel through the HTTP API and
// waits for the subscriber to receive it.
func (w *watcher) publish(ctx context.Context) (time.Duration, error) {
	w.seq++
	seq := w.seq
	start := time.Now()
	if reason := postEvent(ctx, w.http, w.o, probeChannel, "probe", appendBenchData(nil, seq, start.UnixNano(), 16)); reason != "" {
		return 0, errors.New(reason)
	}
	t := time.NewTimer(ProbeTimeout - time.Since(start))
	defer t.Stop()
	for {
		select {
		case got := <-w.got:
			if got == seq {
				return time.Since(start), nil
			}
		case <-t.C:
			return 0, fmt.Errorf("not delivered within %s", ProbeTimeout)
		case <-w.readDone:
			return 0, errors.New("watcher's subscriber closed")
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

func (w *watcher) record(s *ProbeSummary, h *Histogram, took time.Duration, err error, what string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s.Count++
	switch {
	case err != nil:
		s.Failed++
		s.Stalls++
		w.failures[what+": "+err.Error()]++
	default:
		h.Record(took.Nanoseconds())
		if took > StallAfter {
			s.Stalls++
		}
	}
}

// summaries returns the connect and publish probe figures so far.
func (w *watcher) summaries() (conn, pub *ProbeSummary, failures map[string]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fill := func(s ProbeSummary, h *Histogram) *ProbeSummary {
		if h.Total > 0 {
			s.P50, s.P99, s.Max = float64(h.Quantile(0.5))/1e6, float64(h.Quantile(0.99))/1e6, float64(h.Max)/1e6
		}
		return &s
	}
	f := make(map[string]int, len(w.failures))
	for k, v := range w.failures {
		f[k] = v
	}
	return fill(w.conn, &w.connH), fill(w.pub, &w.pubH), f
}

func (w *watcher) close() {
	w.sub.Close()
	<-w.readDone
	w.http.CloseIdleConnections()
}
