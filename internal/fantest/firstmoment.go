package fantest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/ledger"
)

// FirstMoment is the scenario of a subscription's first moment: Clients
// clients connect to a node, Parallel at a time, each on its own public
// channel, and publish through the signed HTTP API around the moment they
// are told they are subscribed. The ledger judges what they receive.
//
//   - An event stream (the default) publishes one event as soon as its
//     200 has arrived, as a client that takes the 200 for its success
//     signal does; the ledger counts the stream subscribed from the 200,
//     so that event is owed to it.
//   - A WebSocket (WebSocket set) sends pusher:subscribe and at once
//     publishes one event, which races the subscribe (it may arrive or
//     not, but must not be refused), then one more on
//     subscription_succeeded, which is owed.
//
// A client ends once the event it is owed, or a later one, arrives.
// Events of one channel arrive in order, so while it has not come the
// client publishes a later one every quarter second (at most 40): when
// that arrives, the owed one either came before it or never will.
type FirstMoment struct {
	Clients, Parallel int
	// Prefix starts each channel's name: "<Prefix>-<i>".
	Prefix    string
	WebSocket bool
	// Via is the node whose HTTP API publishes; nil: the clients' node.
	Via *Node
}

// Run runs the scenario on n for app and returns the ledger's report;
// a client refused or ended early fails t.
func (f FirstMoment) Run(t testing.TB, n *Node, app config.App) ledger.Report {
	t.Helper()
	l := ledger.New()
	next := make(chan int)
	var wg sync.WaitGroup
	for range f.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				m := moment{n: n, via: cmp.Or(f.Via, n), app: app, l: l, ch: fmt.Sprintf("%s-%d", f.Prefix, i), got: make(chan int, 64)}
				run := m.stream
				if f.WebSocket {
					run = func() error { return m.socket(t) }
				}
				if err := run(); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range f.Clients {
		next <- i
	}
	close(next)
	wg.Wait()
	return l.Check(ledger.Options{})
}

// moment is one client of the scenario on channel ch; got carries the
// sequence numbers it receives.
type moment struct {
	n   *Node
	via *Node // publishes through its HTTP API
	app config.App
	l   *ledger.Ledger
	ch  string
	got chan int
}

// stream runs an event stream.
func (m moment) stream() error {
	s, err := m.n.DialStream(StreamPath(m.app.Key, m.ch))
	if err != nil {
		return fmt.Errorf("%s: %w", m.ch, err)
	}
	defer s.Close()
	if s.Status != 200 {
		return fmt.Errorf("%s: status %d %s", m.ch, s.Status, s.Body)
	}
	sess := m.l.Session("stream " + m.ch)
	sess.Subscribed(m.ch)
	defer sess.Left() // runs before Close: events in flight then are not owed
	go func() {
		for {
			ev, err := s.Next()
			if err != nil {
				return
			}
			if _, data, err := ev.Payload(); err == nil {
				m.received(sess, data)
			}
		}
	}()
	owed, err := m.publish()
	if err != nil {
		return err
	}
	return m.await(owed)
}

// socket runs a WebSocket.
func (m moment) socket(t testing.TB) error {
	c, err := DialErr(t, m.n.URL(m.app.Key), nil)
	if err != nil {
		return fmt.Errorf("%s: %w", m.ch, err)
	}
	defer c.Conn.Close()
	if ev, err := c.NextErr(10 * time.Second); err != nil || ev.Event != "pusher:connection_established" {
		return fmt.Errorf("%s: no connection_established: %v %v", m.ch, ev.Event, err)
	}
	sess := m.l.Session("socket " + m.ch)
	defer sess.Left()
	subscribed := make(chan struct{})
	go func() {
		for {
			ev, err := c.NextErr(time.Minute)
			if err != nil {
				return
			}
			switch {
			case ev.Event == "pusher_internal:subscription_succeeded":
				sess.Subscribed(m.ch)
				close(subscribed)
			case ev.Channel == m.ch:
				m.received(sess, ev.DataString())
			}
		}
	}()
	sub, _ := json.Marshal(map[string]any{"event": "pusher:subscribe", "data": map[string]string{"channel": m.ch}})
	if err := c.writeText(sub); err != nil {
		return fmt.Errorf("%s: %w", m.ch, err)
	}
	if _, err := m.publish(); err != nil { // racing the subscribe
		return err
	}
	select {
	case <-subscribed:
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s: no subscription_succeeded within 10s", m.ch)
	}
	owed, err := m.publish()
	if err != nil {
		return err
	}
	return m.await(owed)
}

// received records an event and passes on its sequence number.
func (m moment) received(sess *ledger.Session, data string) {
	sess.Received(m.ch, data)
	if seq, _, ok := ledger.ParsePayload(data); ok {
		select {
		case m.got <- seq: // room for every event a client can be sent
		default:
		}
	}
}

// markerEvery and maxMarkers pace the later events a client publishes
// while the one it is owed has not arrived.
const (
	markerEvery = 250 * time.Millisecond
	maxMarkers  = 40
)

// await waits until event owed or a later one arrives, publishing a
// later one every markerEvery meanwhile.
func (m moment) await(owed int) error {
	tick := time.NewTicker(markerEvery)
	defer tick.Stop()
	for range maxMarkers {
		select {
		case seq := <-m.got:
			if seq >= owed {
				return nil
			}
		case <-tick.C:
			if _, err := m.publish(); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("%s: event %d never arrived, nor any of %d later ones", m.ch, owed, maxMarkers)
}

// publish publishes the channel's next ledger event, records its answer
// and returns its sequence number.
func (m moment) publish() (int, error) {
	seq := m.l.Next(m.ch)
	body, _ := json.Marshal(map[string]string{"name": "e", "channel": m.ch, "data": ledger.Payload(seq, time.Now())})
	status, _, err := m.via.APIErr(m.app, "POST", "/apps/"+m.app.ID+"/events", nil, body)
	m.l.Record(m.ch, seq, status)
	if err != nil {
		return seq, fmt.Errorf("%s: publish: %w", m.ch, err)
	}
	return seq, nil
}
