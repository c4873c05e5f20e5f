package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// workerEnv marks a process started as a harness worker, for binaries
// (such as test binaries) that do not dispatch "bench worker" themselves.
const workerEnv = "FANOUT_BENCH_WORKER"

// pool is the parent's view of its worker processes.
type pool struct {
	procs   []*exec.Cmd
	stdins  []io.WriteCloser
	reports chan report
	last    []report // latest report per worker
	mu      sync.Mutex
	readers sync.WaitGroup
}

// startPool starts o.Workers workers, sending each its config.
func startPool(ctx context.Context, o *Options, stderr io.Writer) (*pool, error) {
	cmdline := o.WorkerCmd
	if len(cmdline) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("bench: find own executable: %w", err)
		}
		cmdline = []string{exe, "bench", "worker"}
	}
	p := &pool{reports: make(chan report, 1024), last: make([]report, o.Workers)}
	for w := range o.Workers {
		if err := p.start(ctx, cmdline, o.workerConfig(w), stderr); err != nil {
			p.kill()
			return nil, err
		}
	}
	go func() { p.readers.Wait(); close(p.reports) }()
	return p, nil
}

func (p *pool) start(ctx context.Context, cmdline []string, cfg workerConfig, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, cmdline[0], cmdline[1:]...)
	cmd.Env = append(os.Environ(), workerEnv+"=1")
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("bench: start worker: %w", err)
	}
	p.procs = append(p.procs, cmd)
	p.stdins = append(p.stdins, in)
	b, _ := json.Marshal(cfg)
	in.Write(append(b, '\n'))
	p.readers.Add(1)
	go p.read(out)
	return nil
}

func (p *pool) read(out io.Reader) {
	defer p.readers.Done()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var r report
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		p.mu.Lock()
		if r.Worker >= 0 && r.Worker < len(p.last) {
			p.last[r.Worker] = r
		}
		p.mu.Unlock()
		if r.Type == "progress" {
			select { // progress is also in p.last; never block a worker on it
			case p.reports <- r:
			default:
			}
			continue
		}
		p.reports <- r
	}
}

// pids are the worker processes' ids, for their CPU time in /proc.
func (p *pool) pids() []int {
	ids := make([]int, 0, len(p.procs))
	for _, c := range p.procs {
		if c.Process != nil {
			ids = append(ids, c.Process.Pid)
		}
	}
	return ids
}

// send writes one command to worker w.
func (p *pool) send(w int, c command) {
	b, _ := json.Marshal(c)
	p.stdins[w].Write(append(b, '\n'))
}

// totals sums the latest report of every worker.
func (p *pool) totals() report {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := report{Failures: map[string]int{}}
	for _, r := range p.last {
		t.Open += r.Open
		t.Subscribed += r.Subscribed
		t.Closed += r.Closed
		t.Failed += r.Failed
		t.Delivered += r.Delivered
		t.Sent += r.Sent
		t.Refused += r.Refused
		for k, v := range r.Failures {
			t.Failures[k] += v
		}
	}
	return t
}

// await consumes reports until every worker has sent one of type typ, or
// ctx ends; tick runs on every report for progress.
func (p *pool) await(ctx context.Context, typ string, tick func()) ([]report, error) {
	got := make([]report, len(p.procs))
	seen := 0
	for seen < len(got) {
		select {
		case <-ctx.Done():
			return got, ctx.Err()
		case r, ok := <-p.reports:
			if !ok {
				return got, fmt.Errorf("bench: workers exited before %q", typ)
			}
			if r.Type == "error" {
				return got, fmt.Errorf("bench: worker %d: %s", r.Worker, r.Error)
			}
			if r.Type == typ && r.Worker >= 0 && r.Worker < len(got) && got[r.Worker].Type == "" {
				got[r.Worker] = r
				seen++
			}
			if tick != nil {
				tick()
			}
		}
	}
	return got, nil
}

// stopWait bounds the wait for the workers' results: closing 15,000
// sockets and flushing what the server still sends takes seconds on a
// loaded machine.
const stopWait = 60 * time.Second

// stop asks every worker to stop, collects results, and reaps them.
func (p *pool) stop(ctx context.Context) ([]report, error) {
	for w := range p.procs {
		p.send(w, command{Cmd: "stop"})
	}
	sctx, cancel := context.WithTimeout(ctx, stopWait)
	defer cancel()
	res, err := p.await(sctx, "result", nil)
	if err != nil {
		// Keep what the silent workers last reported (counts, no
		// histograms) rather than zeros that would read as measured.
		p.mu.Lock()
		silent := 0
		for i := range res {
			if res[i].Type == "" {
				res[i] = p.last[i]
				silent++
			}
		}
		p.mu.Unlock()
		err = fmt.Errorf("bench: %d of %d workers sent no result within %s (their last progress counts are used): %w",
			silent, len(res), stopWait, err)
	}
	p.kill()
	return res, err
}

// kill closes stdins and waits; workers exit on end of input, and
// CommandContext kills them when the run's context ends.
func (p *pool) kill() {
	for _, in := range p.stdins {
		in.Close()
	}
	for _, c := range p.procs {
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			c.Process.Kill()
			<-done
		}
	}
	go func() {
		for range p.reports {
		}
	}()
}

// workerConfig is worker w's share of the run.
func (o *Options) workerConfig(w int) workerConfig {
	src := []string{fmt.Sprintf("127.0.0.%d", 2+w)}
	if o.Scenario == "churn" {
		// Churn burns source ports fast; give each worker 32 addresses.
		src = src[:0]
		for i := range 32 {
			src = append(src, fmt.Sprintf("127.%d.%d.%d", 1+w/250, w%250, 2+i))
		}
	}
	cfg := workerConfig{Index: w, Workers: o.Workers, URLs: o.URLs, Key: o.AppKey, SrcIPs: src,
		Channels: o.Channels, Prefix: "bench-", Event: "bench", Rate: o.ConnRate / float64(o.Workers),
		Secret: o.AppSecret, Auth: o.Auth, TLS: o.TLS, SSE: o.Transport == "sse",
		Pollers: runtime.NumCPU(), Protocol: o.Protocol}
	if o.Scenario == "storm" {
		cfg.Channel, cfg.Event = stormChannel, stormEvent
	}
	return cfg
}
