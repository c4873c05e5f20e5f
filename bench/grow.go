package bench

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// grow dials connections until the worker has attempted n in total, paced
// at cfg.Rate, and returns when each has subscribed or failed (or timed
// out after cfg.Timeout).
func (w *worker) grow(ctx context.Context, n int) {
	from := int(w.next.Load())
	if n <= from {
		return
	}
	w.next.Store(int64(n))
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(w.cfg.Dialers, n-from) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				w.dialOne(ctx, i)
			}
		}()
	}
	pace := newPacer(w.cfg.Rate)
	for i := from; i < n && ctx.Err() == nil; i++ {
		pace.wait(ctx)
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	w.settle(ctx)
}

// settle waits until every dialed connection has subscribed or failed,
// then fails the stragglers as timeouts.
func (w *worker) settle(ctx context.Context) {
	deadline := time.Now().Add(time.Duration(w.cfg.Timeout * float64(time.Second)))
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if w.pending() == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range w.unsubscribed() {
		c.fail("subscribe timeout")
	}
}

func (w *worker) pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := 0
	for c := range w.clients {
		if c.state.Load() < stSubscribed {
			p++
		}
	}
	return p
}

func (w *worker) unsubscribed() []*client {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*client
	for c := range w.clients {
		if c.state.Load() < stSubscribed {
			out = append(out, c)
		}
	}
	return out
}

// runChurn keeps conc connections cycling (dial, subscribe, close) for d.
func (w *worker) runChurn(ctx context.Context, conc int, d time.Duration) {
	if conc <= 0 {
		return
	}
	w.redial = make(chan struct{}, conc)
	w.churn.Store(true)
	for range conc {
		w.redial <- struct{}{}
	}
	cctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for range min(w.cfg.Dialers, conc) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-cctx.Done():
					return
				case <-w.redial:
					w.dialOne(cctx, int(w.next.Add(1)-1))
				}
			}
		}()
	}
	<-cctx.Done()
	w.churn.Store(false)
	wg.Wait()
	w.settle(ctx)
}

// pacer spaces events at a fixed rate; rate 0 does not wait. It is safe
// for concurrent use: goroutines sharing one pacer take its slots in
// turn, so N publishers at a total rate R send one event every 1/R
// rather than N at once every N/R.
type pacer struct {
	start    time.Time
	interval time.Duration
	n        atomic.Int64 // slots taken
}

func newPacer(rate float64) *pacer {
	p := &pacer{start: time.Now()}
	if rate > 0 {
		p.interval = time.Duration(float64(time.Second) / rate)
	}
	return p
}

// wait blocks until the next event is due.
func (p *pacer) wait(ctx context.Context) {
	if p.interval == 0 {
		return
	}
	due := p.start.Add(time.Duration(p.n.Add(1)-1) * p.interval)
	if d := time.Until(due); d > time.Millisecond {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}
