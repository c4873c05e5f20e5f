package fantest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/ledger"
)

// FirstMoment is the scenario of a stream's first moment: Streams event
// streams open on a node, Parallel at a time, each on its own public
// channel, and each publishes one event through the signed HTTP API as
// soon as its 200 has arrived, as a client that takes the 200 for its
// success signal does. The ledger counts the stream subscribed from its
// 200, so that event is owed to it.
//
// A stream ends once a ledger event arrives. Events of one channel arrive
// in order, so while its first event has not come the stream publishes a
// later one every quarter second (at most 40): when that arrives, the
// first either came before it or never will.
type FirstMoment struct {
	Streams, Parallel int
	// Prefix starts each channel's name: "<Prefix>-<i>".
	Prefix string
}

// Run runs the scenario on n for app and returns the ledger's report;
// a stream refused or ended early fails t.
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
				if err := f.stream(n, app, l, fmt.Sprintf("%s-%d", f.Prefix, i)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range f.Streams {
		next <- i
	}
	close(next)
	wg.Wait()
	return l.Check(ledger.Options{})
}

// markerEvery and maxMarkers pace the later events a stream publishes
// while its first has not arrived.
const (
	markerEvery = 250 * time.Millisecond
	maxMarkers  = 40
)

// stream runs one stream on channel ch.
func (f FirstMoment) stream(n *Node, app config.App, l *ledger.Ledger, ch string) error {
	s, err := n.DialStream(StreamPath(app.Key, ch))
	if err != nil {
		return fmt.Errorf("%s: %w", ch, err)
	}
	defer s.Close()
	if s.Status != 200 {
		return fmt.Errorf("%s: status %d %s", ch, s.Status, s.Body)
	}
	sess := l.Session("stream " + ch)
	sess.Subscribed(ch)
	defer sess.Left() // runs before Close: events in flight then are not owed
	arrived := make(chan struct{}, 1)
	go func() {
		for {
			ev, err := s.Next()
			if err != nil {
				return
			}
			if _, data, err := ev.Payload(); err == nil {
				sess.Received(ch, data)
				select {
				case arrived <- struct{}{}:
				default:
				}
			}
		}
	}()
	if err := publishOne(n, app, l, ch); err != nil {
		return err
	}
	tick := time.NewTicker(markerEvery)
	defer tick.Stop()
	for range maxMarkers {
		select {
		case <-arrived:
			return nil
		case <-tick.C:
			if err := publishOne(n, app, l, ch); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("%s: no event arrived after %d publishes", ch, maxMarkers+1)
}

// publishOne publishes the channel's next ledger event and records its
// answer.
func publishOne(n *Node, app config.App, l *ledger.Ledger, ch string) error {
	seq := l.Next(ch)
	body, _ := json.Marshal(map[string]string{"name": "e", "channel": ch, "data": ledger.Payload(seq, time.Now())})
	status, _, err := n.APIErr(app, "POST", "/apps/"+app.ID+"/events", nil, body)
	l.Record(ch, seq, status)
	if err != nil {
		return fmt.Errorf("%s: publish: %w", ch, err)
	}
	return nil
}
