package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// probeConn is one subscriber: a goroutine reads it; writes (subscribe,
// pong) happen on that goroutine too, so nothing else touches it.
type probeConn struct {
	nc   net.Conn
	br   *bufio.Reader
	lat  []uint32 // µs, this connection's deliveries
	msgs int      // messages of any kind
}

// pusherMsg is the part of a Pusher message the probe reads.
type pusherMsg struct {
	Event string `json:"event"`
	Data  any    `json:"data"`
}

func runChild(ctx context.Context, o options, idx int) int {
	out := json.NewEncoder(os.Stdout)
	listen, end := make(chan os.Signal, 1), make(chan os.Signal, 1)
	signal.Notify(listen, syscall.SIGUSR1)
	signal.Notify(end, syscall.SIGUSR2)
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(o.SrcBase+idx))}
	url := strings.TrimRight(o.URL, "/") + "/app/" + o.Key + "?protocol=7&client=fanout-probe&version=1.0"
	subscribe := []byte(`{"event":"pusher:subscribe","data":{"channel":` + strconv.Quote(o.Channel) + `}}`)

	var subscribed, failed, delivered atomic.Int64
	var stopping atomic.Bool
	conns := make([]*probeConn, 0, o.Conns)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64) // concurrent dials
	for range o.Conns {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := dial(ctx, src, url)
			<-sem
			if err != nil {
				failed.Add(1)
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			c.read(subscribe, &subscribed, &delivered, &stopping)
		}()
	}
	// ready once every connection subscribed or failed (bounded).
	deadline := time.Now().Add(2 * time.Minute)
	for subscribed.Load()+failed.Load() < int64(o.Conns) && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	out.Encode(childLine{Type: "ready", Failed: o.Conns - int(subscribed.Load())})
	select {
	case <-listen:
	case <-ctx.Done():
		return 1
	}
	tick := time.NewTicker(500 * time.Millisecond)
	limit := time.After(o.Duration)
	for waiting := true; waiting; {
		select {
		case <-tick.C:
			out.Encode(childLine{Type: "progress", Index: idx, Delivered: delivered.Load()})
		case <-end:
			waiting = false
		case <-limit:
			waiting = false
		case <-ctx.Done():
			waiting = false
		}
	}
	tick.Stop()
	stopping.Store(true)
	mu.Lock()
	for _, c := range conns {
		c.nc.Close()
	}
	mu.Unlock()
	wg.Wait()
	var all []uint32
	msgs := 0
	for _, c := range conns {
		all = append(all, c.lat...)
		msgs += c.msgs
	}
	out.Encode(childLine{Type: "done", Latencies: all, Messages: msgs})
	return 0
}

func dial(ctx context.Context, src *net.TCPAddr, url string) (*probeConn, error) {
	d := ws.Dialer{
		Timeout: 15 * time.Second,
		NetDial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nd := net.Dialer{LocalAddr: src}
			return nd.DialContext(ctx, network, addr)
		},
	}
	nc, br, _, err := d.Dial(ctx, url)
	if err != nil {
		return nil, err
	}
	if br == nil {
		br = bufio.NewReaderSize(nc, 4096)
	}
	return &probeConn{nc: nc, br: br}, nil
}

// read runs until the connection closes: it subscribes on
// pusher:connection_established, answers pings, and times bench events.
func (c *probeConn) read(subscribe []byte, subscribed, delivered *atomic.Int64, stopping *atomic.Bool) {
	rd := wsutil.Reader{Source: c.br, State: ws.StateClientSide, CheckUTF8: false,
		OnIntermediate: wsutil.ControlFrameHandler(c.nc, ws.StateClientSide)}
	for {
		hdr, err := rd.NextFrame()
		if err != nil {
			if !stopping.Load() {
				fmt.Fprintln(os.Stderr, "fanout-probe: read:", err)
			}
			return
		}
		if hdr.OpCode.IsControl() {
			if err := wsutil.ControlFrameHandler(c.nc, ws.StateClientSide)(hdr, &rd); err != nil {
				return
			}
			continue
		}
		payload := make([]byte, hdr.Length)
		if _, err := readFull(&rd, payload); err != nil {
			return
		}
		now := time.Now().UnixNano()
		c.msgs++
		var m pusherMsg
		if json.Unmarshal(payload, &m) != nil {
			continue
		}
		switch m.Event {
		case "pusher:connection_established":
			wsutil.WriteClientText(c.nc, subscribe)
		case "pusher_internal:subscription_succeeded":
			subscribed.Add(1)
		case "pusher:ping":
			wsutil.WriteClientText(c.nc, []byte(`{"event":"pusher:pong","data":{}}`))
		default:
			if s, ok := m.Data.(string); ok {
				if ns, ok := sentAt(s); ok && now > ns {
					c.lat = append(c.lat, uint32(min((now-ns)/1e3, 1<<32-1)))
					delivered.Add(1)
				}
			}
		}
	}
}

func readFull(rd *wsutil.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := rd.Read(b[n:])
		n += m
		if err != nil && n < len(b) {
			return n, err
		}
	}
	return n, nil
}

// sentAt reads the send time from the harness's "bench:<seq>:<ns>:..." data.
func sentAt(s string) (int64, bool) {
	parts := strings.SplitN(s, ":", 4)
	if len(parts) < 4 || parts[0] != "bench" {
		return 0, false
	}
	ns, err := strconv.ParseInt(parts[2], 10, 64)
	return ns, err == nil
}
