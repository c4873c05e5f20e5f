package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/ledger"
)

// Soak: steady churn against one node (connect, subscribe, publish,
// disconnect) for FANOUT_SOAK_DURATION (default 30m), sampling the
// node's RSS, goroutines and open descriptors every FANOUT_SOAK_SAMPLE
// (default 1m). Over the last two thirds of the run (20 of 30 minutes)
// the least-squares slope of each must be about zero: the growth it
// implies over that window stays within a few percent of the mean.
// Runs only when FANOUT_SOAK is set (make soak).
func TestSoak(t *testing.T) {
	if os.Getenv("FANOUT_SOAK") == "" {
		t.Skip("soak: run with FANOUT_SOAK=1 (make soak)")
	}
	duration := envDuration("FANOUT_SOAK_DURATION", 30*time.Minute)
	every := envDuration("FANOUT_SOAK_SAMPLE", time.Minute)
	workers := envInt("FANOUT_SOAK_WORKERS", 200)
	const channels = 50
	n := Serve(t, ServeOptions{})
	l := ledger.New()
	ctx, cancel := context.WithTimeout(context.Background(), duration+every/2) // the last sample lands before the stop
	defer cancel()

	var names []string
	for i := range channels {
		names = append(names, fmt.Sprintf("soak-%d", i))
	}
	pub := &Publisher{L: l, Node: func() *Node { return n }}
	waitPub := pub.Run(ctx, names, 100*time.Millisecond)
	var cycles, failures sync.Map // worker -> count
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			churn(ctx, n, l, w, names, &cycles, &failures)
		}()
	}

	// The goroutine count swings with the churn (handlers, pool workers
	// that expire after their idle time), so one read a minute cannot tell
	// that swing from a slow leak. A leak raises the floor: each sample
	// keeps the lowest of twenty reads spread over its interval.
	var samples []sample
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	probe := time.NewTicker(max(every/20, 100*time.Millisecond))
	defer probe.Stop()
	floor := -1
	for ctx.Err() == nil {
		select {
		case <-probe.C:
			if g, err := n.Metric("go_goroutines"); err == nil && (floor < 0 || int(g) < floor) {
				floor = int(g)
			}
			continue
		case <-tick.C:
		case <-ctx.Done():
			continue // while the workers stop: not a steady state
		}
		s, err := sampleNode(n)
		if err != nil {
			t.Fatal(err)
		}
		if floor >= 0 && floor < s.goroutines {
			s.goroutines = floor
		}
		floor = -1
		s.at = time.Since(start)
		samples = append(samples, s)
		t.Logf("%7v rss %6d KiB  goroutines (floor) %5d  fds %5d", s.at.Round(time.Second), s.rss, s.goroutines, s.fds)
	}
	wg.Wait()
	waitPub()
	settle(l, 5*time.Second)
	var total, failed int
	cycles.Range(func(_, v any) bool { total += v.(int); return true })
	failures.Range(func(_, v any) bool { failed += v.(int); return true })
	t.Logf("%d workers, %d connect-subscribe-disconnect cycles, %d failed", workers, total, failed)
	if failed > total/1000 {
		t.Errorf("%d of %d cycles failed", failed, total)
	}
	r := l.Check(ledger.Options{})
	t.Log(r)
	if !r.OK() {
		t.Error(r)
	}

	// The slope over the last two thirds, and the growth it implies
	// over that window relative to the mean.
	tail := samples[len(samples)/3:]
	if len(tail) < 3 {
		t.Fatalf("only %d samples in the window; lengthen FANOUT_SOAK_DURATION or shorten FANOUT_SOAK_SAMPLE", len(tail))
	}
	window := tail[len(tail)-1].at - tail[0].at
	for _, m := range []struct {
		name  string
		value func(sample) float64
		slack float64 // absolute growth tolerated on top of 5 % of the mean
	}{
		{"rss KiB", func(s sample) float64 { return float64(s.rss) }, 4096},
		{"goroutines", func(s sample) float64 { return float64(s.goroutines) }, 10},
		{"fds", func(s sample) float64 { return float64(s.fds) }, 20},
	} {
		slope, mean := fit(tail, m.value)
		growth := slope * window.Minutes()
		t.Logf("%s: slope %.2f per minute over the last %v (growth %.1f, mean %.1f)", m.name, slope, window.Round(time.Second), growth, mean)
		if growth > 0.05*mean+m.slack {
			t.Errorf("%s grows %.1f over %v (mean %.1f): a leak", m.name, growth, window.Round(time.Second), mean)
		}
	}
}

// churn is one worker: connect, subscribe (public or presence), hold a
// moment while events arrive, disconnect, again.
func churn(ctx context.Context, n *Node, l *ledger.Ledger, w int, names []string, cycles, failures *sync.Map) {
	count, failed := 0, 0
	defer func() { cycles.Store(w, count); failures.Store(w, failed) }()
	for i := 0; ctx.Err() == nil; i++ {
		name := fmt.Sprintf("w%d.%d", w, i)
		c, err := Dial(n.URL(), l.Session(name), DialOptions{})
		if err != nil {
			failed++
			sleepCtx(ctx, 100*time.Millisecond)
			continue
		}
		ch := names[rand.N(len(names))]
		err = c.Subscribe(ch, "", 10*time.Second)
		if err == nil && i%2 == 1 {
			err = c.Subscribe("presence-soak-"+strconv.Itoa(w%10), name, 10*time.Second)
		}
		if err != nil {
			failed++
		}
		sleepCtx(ctx, time.Duration(200+rand.N(800))*time.Millisecond)
		if i%3 == 0 { // a polite leave now and then
			_ = c.Send("pusher:unsubscribe", map[string]string{"channel": ch})
		}
		c.Close()
		count++
	}
}

type sample struct {
	at                   time.Duration
	rss, goroutines, fds int
}

func sampleNode(n *Node) (sample, error) {
	g, err := n.Metric("go_goroutines")
	if err != nil {
		return sample{}, err
	}
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(n.Pid()) + "/fd")
	if err != nil {
		return sample{}, err
	}
	return sample{rss: rssKiB(n.Pid()), goroutines: int(g), fds: len(fds)}, nil
}

// fit returns the least-squares slope (per minute) and the mean of value
// over the samples.
func fit(ss []sample, value func(sample) float64) (slope, mean float64) {
	var sx, sy, sxx, sxy float64
	for _, s := range ss {
		x, y := s.at.Minutes(), value(s)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	k := float64(len(ss))
	return (k*sxy - sx*sy) / (k*sxx - sx*sx), sy / k
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil && d > 0 {
		return d
	}
	return def
}
