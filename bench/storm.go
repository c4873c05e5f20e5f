package bench

import (
	"context"
	"fmt"
	"time"
)

// storm makes Senders of the subscribed connections send client events
// to the channel they all share, at Rate in total for Duration, while a
// watcher probes every ProbeEvery how a newcomer fares: a new
// connection's time to pusher:connection_established, and an HTTP API
// publish's time to reach the one subscriber of another channel. The
// watcher goes on for one more probe after the deliveries drained, to
// see whether the server recovered.
func (r *run) storm(ctx context.Context) error {
	open := r.pool.totals().Open
	if open == 0 {
		return ErrNoSubscribers
	}
	wt, err := newWatcher(ctx, r.o)
	if err != nil {
		return err
	}
	defer wt.close()
	defer func() { r.res.ConnectProbe, r.res.PublishProbe, r.res.ProbeFailures = wt.summaries() }()

	costs := r.startCosts()
	for w := range r.o.Workers {
		r.pool.send(w, command{Cmd: "send", N: share(r.o.Senders, w, r.o.Workers),
			Rate: r.o.Rate / float64(r.o.Workers), Secs: r.o.Duration.Seconds(), Size: r.o.Size})
	}
	stop := make(chan struct{})
	probing := make(chan struct{})
	go func() {
		defer close(probing)
		t := time.NewTicker(r.o.ProbeEvery)
		defer t.Stop()
		for {
			wt.probe(ctx)
			select {
			case <-stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	r.prog.set(func() status {
		t := r.pool.totals()
		c, p, _ := wt.summaries()
		return status{"storm", int64(t.Sent), int64(r.o.Rate * r.o.Duration.Seconds()),
			fmt.Sprintf("refused %d delivered %d open %d/%d; probes %d, stalls %d", t.Refused, t.Delivered, t.Open, open,
				c.Count, c.Stalls+p.Stalls)}
	})
	_, err = r.pool.await(ctx, "reached", nil)
	close(stop)
	<-probing
	t := r.pool.totals()
	r.sent, r.refused = t.Sent, t.Refused
	// A client event reaches every subscriber of the channel but its sender.
	r.expect = (r.sent - min(r.refused, r.sent)) * uint64(max(open-1, 0))
	r.drain(ctx, func() uint64 { return r.expect })
	r.endCosts(costs) // the workers' cost too: the self-check judges a storm as a fan-out
	r.res.DeliveredPerSec = float64(r.pool.totals().Delivered) / time.Since(start).Seconds()
	wt.probe(ctx) // after the storm: has the server recovered?
	return err
}
