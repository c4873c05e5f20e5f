package bench

import (
	"context"
	"fmt"
	"time"
)

// run is one scenario in progress on the parent side.
type run struct {
	o    *Options
	pool *pool
	prog *progress
	res  Result
	pub  *publisher

	cost  *procCost // server cost over the measured window, when measured
	hcost *procCost // the workers' own cost over the same window
	secs  float64   // length of that window, s
	cores coreScope // CPUs the workers and the server may run on, read at its end

	sent, refused, expect uint64 // storm: client events and deliveries they should cause
}

func (r *run) scenario(ctx context.Context) error {
	if base, ok := serverRSS(ctx, r.o); ok {
		r.res.RSSBase = base
	}
	switch r.o.Scenario {
	case "churn":
		return r.churn(ctx)
	case "fanout":
		if err := r.ramp(ctx); err != nil {
			return err
		}
		return r.fanout(ctx)
	case "storm":
		if err := r.ramp(ctx); err != nil {
			return err
		}
		return r.storm(ctx)
	default:
		if err := r.ramp(ctx); err != nil {
			return err
		}
		return r.hold(ctx)
	}
}

// ramp grows to every --measure-at count and then to --conns, reading
// RSS after each measured stage has settled.
func (r *run) ramp(ctx context.Context) error {
	var stages []int
	for _, n := range r.o.MeasureAt {
		if n < r.o.Conns && (len(stages) == 0 || n > stages[len(stages)-1]) {
			stages = append(stages, n)
		}
	}
	stages = append(stages, r.o.Conns)
	start := time.Now()
	var paused time.Duration
	for _, n := range stages {
		if err := r.grow(ctx, n); err != nil {
			return err
		}
		if n == r.o.Conns {
			r.res.TimeToSubscribed = (time.Since(start) - paused).Seconds()
		}
		if !r.measured(n) && n != r.o.Conns {
			continue
		}
		t := time.Now()
		if rss, ok := r.settledRSS(ctx); ok {
			r.res.Measures = append(r.res.Measures, RSSMeasure{N: int(r.pool.totals().Open), RSS: rss})
			if n == r.o.Conns {
				r.res.RSSFull = rss
			}
		}
		paused += time.Since(t)
	}
	t := r.pool.totals()
	if r.res.TimeToSubscribed > 0 {
		r.res.ConnectRate = float64(t.Subscribed) / r.res.TimeToSubscribed
	}
	if r.res.RSSBase > 0 && r.res.RSSFull > 0 && t.Open > 0 {
		r.res.BytesPerConn = float64(r.res.RSSFull-r.res.RSSBase) / float64(t.Open)
	}
	r.res.slope()
	return nil
}

func (r *run) measured(n int) bool {
	for _, m := range r.o.MeasureAt {
		if m == n {
			return true
		}
	}
	return false
}

func (r *run) settledRSS(ctx context.Context) (int64, bool) {
	if len(r.o.ServerPIDs) == 0 && r.o.MetricsURL == "" {
		return 0, false
	}
	r.prog.set(func() status {
		return status{"settle", r.pool.totals().Open, int64(r.o.Conns), "reading server RSS after " + r.o.Settle.String()}
	})
	select {
	case <-time.After(r.o.Settle):
	case <-ctx.Done():
		return 0, false
	}
	return serverRSS(ctx, r.o)
}

func (r *run) grow(ctx context.Context, n int) error {
	for w := range r.o.Workers {
		r.pool.send(w, command{Cmd: "grow", N: share(n, w, r.o.Workers)})
	}
	r.prog.set(func() status {
		t := r.pool.totals()
		return status{"connect", t.Open, int64(n), fmt.Sprintf("failed %d", t.Failed)}
	})
	_, err := r.pool.await(ctx, "reached", nil)
	return err
}

// hold keeps the connections open for --duration.
func (r *run) hold(ctx context.Context) error {
	end := time.Now().Add(r.o.Duration)
	r.prog.set(func() status {
		t := r.pool.totals()
		left := max(time.Until(end), 0).Round(time.Second)
		return status{"hold", t.Open, int64(r.o.Conns), fmt.Sprintf("failed %d, %s left", t.Failed, left)}
	})
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.pool.reports:
		case <-time.After(time.Until(end)):
		}
	}
	return nil
}

// fanout publishes for --duration, then waits (at most 10 s) for the
// deliveries to catch up.
func (r *run) fanout(ctx context.Context) error {
	open := r.pool.totals().Open
	if open == 0 {
		return ErrNoSubscribers
	}
	r.pub = newPublisher(r.o, subscribersPerChannel(r.o.Conns, r.o.Channels, r.o.Auth.presence))
	done := make(chan struct{})
	start := time.Now()
	costs := r.startCosts()
	var rbefore redisSample
	var rerr error = errNoRedis
	if r.o.RedisAddr != "" {
		rbefore, rerr = redisStats(ctx, r.o.RedisAddr)
	}
	pctx, stopPub := context.WithCancel(ctx)
	defer stopPub()
	go func() { r.pub.run(pctx, r.o.Duration); close(done) }()
	r.prog.set(func() status {
		t := r.pool.totals()
		want := int64(r.o.Rate * r.o.Duration.Seconds())
		if r.o.BackToBack {
			want = int64(r.o.MaxPublishes)
		}
		return status{"publish", int64(r.pub.ok.Load()), want,
			fmt.Sprintf("delivered %d/%d open %d/%d failed %d", t.Delivered, r.pub.expect.Load(), t.Open, open, t.Failed)}
	})
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-ctx.Done():
			<-done
			return ctx.Err()
		case <-r.pool.reports:
			t := r.pool.totals()
			if t.Open == 0 {
				stopPub() // every subscriber is gone: stop, do not publish into the void
			}
		}
	}
	r.res.PublishedPerSec = float64(r.pub.ok.Load()) / time.Since(start).Seconds()
	// Redis's share is read when the last publish was answered: its work
	// for them, delivery to the other nodes included, is done by then.
	if rerr == nil && r.pub.ok.Load() > 0 {
		if after, err := redisStats(ctx, r.o.RedisAddr); err == nil {
			r.res.RedisCPUSeconds = after.cpu - rbefore.cpu
			r.res.RedisCPUPerPublishUs, r.res.RedisCommandsPerPublish, r.res.RedisCommands =
				perPublish(rbefore, after, r.pub.ok.Load())
		}
	}
	r.drain(ctx, r.pub.expect.Load)
	r.endCosts(costs)
	elapsed := time.Since(start).Seconds()
	r.res.DeliveredPerSec = float64(r.pool.totals().Delivered) / elapsed
	return nil
}

func (r *run) drain(ctx context.Context, expect func() uint64) {
	r.prog.set(func() status {
		return status{"drain", int64(r.pool.totals().Delivered), int64(expect()), "waiting for the last deliveries"}
	})
	deadline := time.Now().Add(10 * time.Second)
	var last uint64
	stillSince := time.Now()
	for time.Now().Before(deadline) {
		t := r.pool.totals()
		if t.Delivered >= expect() {
			return
		}
		if t.Delivered != last {
			last, stillSince = t.Delivered, time.Now()
		} else if time.Since(stillSince) > 3*time.Second {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-r.pool.reports:
		case <-time.After(time.Second):
		}
	}
}

// churn runs connect/subscribe/close cycles for --duration.
func (r *run) churn(ctx context.Context) error {
	for w := range r.o.Workers {
		r.pool.send(w, command{Cmd: "churn", N: share(r.o.Conns, w, r.o.Workers), Secs: r.o.Duration.Seconds()})
	}
	start := time.Now()
	r.prog.set(func() status {
		t := r.pool.totals()
		return status{"churn", int64(time.Since(start).Seconds()), int64(r.o.Duration.Seconds()),
			fmt.Sprintf("connects %d closes %d failed %d", t.Subscribed, t.Closed, t.Failed)}
	})
	_, err := r.pool.await(ctx, "reached", nil)
	secs := r.o.Duration.Seconds()
	t := r.pool.totals()
	r.res.ConnectsPerSec = float64(t.Subscribed) / secs
	r.res.DisconnectsPerSec = float64(t.Closed) / secs
	return err
}

// finish folds the workers' final reports into the result.
func (r *run) finish(results []report) {
	var lat, sub Histogram
	r.res.Failures = map[string]int{}
	for _, w := range results {
		r.res.Subscribed += w.Subscribed
		r.res.Failed += w.Failed
		r.res.Delivered += w.Delivered
		r.res.Disconnects += w.Closed
		addCounts(r.res.Failures, w.Failures)
		if w.Hist != nil {
			lat.Merge(w.Hist.histogram())
		}
		if w.SubHist != nil {
			sub.Merge(w.SubHist.histogram())
		}
	}
	if len(r.res.Failures) == 0 {
		r.res.Failures = nil
	}
	if sub.Total > 0 {
		r.res.SubscribeP99Ms = float64(sub.Quantile(0.99)) / 1e6
	}
	if r.o.Scenario == "churn" {
		r.res.Connects = r.res.Subscribed
	} else {
		r.res.Disconnects = 0
	}
	if r.pub != nil {
		r.res.Published = r.pub.ok.Load()
		r.res.PublishFailed = r.pub.failed.Load()
		if len(r.pub.errs) > 0 {
			r.res.PublishErrors = r.pub.errs
		}
		r.res.Expected = r.pub.expect.Load()
		r.res.Missed = int64(r.res.Expected) - int64(r.res.Delivered)
		if lat.Total > 0 {
			r.res.Latency = summarize(&lat)
		}
	}
	if r.o.Scenario == "storm" {
		r.res.ClientEventsSent = r.sent
		r.res.ClientEventsRefused = r.refused
		r.res.Expected = r.expect
		r.res.Missed = int64(r.expect) - int64(r.res.Delivered)
		if lat.Total > 0 {
			r.res.Latency = summarize(&lat)
		}
	}
	if r.cost != nil {
		r.res.setCost(*r.cost, r.secs)
	}
	if r.hcost != nil {
		r.res.setHarnessCost(*r.hcost, r.secs, r.cores)
	}
}

// costWindow is the start of a measured window: the server's and the
// workers' CPU then, when they could be read.
type costWindow struct {
	start               time.Time
	server, workers     procCost
	serverOK, workersOK bool
}

// startCosts opens the window over which a scenario measures what the
// server and the harness's own workers spend.
func (r *run) startCosts() costWindow {
	w := costWindow{start: time.Now()}
	w.server, w.serverOK = serverCost(r.o.ServerPIDs)
	w.workers, w.workersOK = serverCost(r.pool.pids())
	return w
}

// endCosts closes w: both deltas, the window's length and the cores
// the workers and the server may run on, for the result and its
// self-check (HarnessCheck).
func (r *run) endCosts(w costWindow) {
	if after, ok := serverCost(r.o.ServerPIDs); ok && w.serverOK {
		d := after.sub(w.server)
		r.cost = &d
	}
	if after, ok := serverCost(r.pool.pids()); ok && w.workersOK {
		d := after.sub(w.workers)
		r.hcost = &d
	}
	r.secs = time.Since(w.start).Seconds()
	r.cores = readCoreScope(r.pool.pids(), r.o.ServerPIDs, r.o.Workers)
}

func addCounts(dst, src map[string]int) map[string]int {
	for k, v := range src {
		dst[k] += v
	}
	return dst
}
