// Command fanout-probe is an independent check on `fanout bench`'s
// figures: a second client with a read path that shares nothing with the
// harness's. Each connection is a plain net.Conn upgraded by gobwas/ws,
// read by a goroutine of its own with a bufio.Reader, its messages
// decoded with encoding/json; the connections are spread over a few
// child processes (each under the 20,000 open files a process may
// hold). It subscribes every connection to one channel, waits while
// `fanout bench fanout` publishes to it, and reports, for the events
// that carry the harness's "bench:<seq>:<unix ns>:" data, the delivery
// latency (exact percentiles over every delivery) and, with -server-pid,
// the server's write system calls and CPU time per delivery over the
// listening window (/proc/PID/io syscw, /proc/PID/stat utime+stime),
// which ends -idle after the last timed event.
//
// Run it alongside a harness that holds one subscriber of its own, so
// that the server's writes are nearly all the probe's:
//
//	fanout-probe -url ws://127.0.0.1:6231 -conns 17999 -server-pid $PID &
//	fanout-bench fanout --url ws://127.0.0.1:6231 --conns 1 --channels 1 --rate 2 --duration 20s
//
// It prints "ready" on stderr once every connection is subscribed and a
// one-line JSON summary on stdout when the window ends.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// childEnv marks a child process and carries its index.
const childEnv = "FANOUT_PROBE_CHILD"

type options struct {
	URL       string
	Key       string
	Channel   string
	Conns     int
	Procs     int
	Duration  time.Duration
	Idle      time.Duration
	ServerPID int
	SrcBase   int // last octet of the first child's 127.0.0.x source address
	Out       string
}

func main() {
	var o options
	flag.StringVar(&o.URL, "url", "ws://127.0.0.1:6001", "server base URL")
	flag.StringVar(&o.Key, "app-key", "app-key", "app key")
	flag.StringVar(&o.Channel, "channel", "bench-0", "channel to subscribe (the harness publishes to bench-0 with --channels 1)")
	flag.IntVar(&o.Conns, "conns", 1000, "connections in total")
	flag.IntVar(&o.Procs, "procs", 2, "child processes the connections are spread over")
	flag.DurationVar(&o.Duration, "duration", 5*time.Minute, "longest listening window once every connection is subscribed")
	flag.DurationVar(&o.Idle, "idle", 5*time.Second, "end the window this long after the last timed event, once one came")
	flag.IntVar(&o.ServerPID, "server-pid", 0, "server process for write syscalls and CPU per delivery")
	flag.IntVar(&o.SrcBase, "src-base", 20, "source addresses: child i binds 127.0.0.(src-base+i)")
	flag.StringVar(&o.Out, "out", "", "also write the summary to this file")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if idx := os.Getenv(childEnv); idx != "" {
		i, _ := strconv.Atoi(idx)
		os.Exit(runChild(ctx, o, i))
	}
	if o.Conns < 1 || o.Procs < 1 || o.Conns/o.Procs > 19000 {
		fmt.Fprintln(os.Stderr, "fanout-probe: need -conns ≥ 1, -procs ≥ 1 and at most 19,000 connections per process")
		os.Exit(2)
	}
	os.Exit(runParent(ctx, o))
}

// childLine is what a child writes on stdout: "ready", then "done"
// with its latencies (µs) and counts.
type childLine struct {
	Type      string   `json:"type"`
	Index     int      `json:"index"`
	Failed    int      `json:"failed,omitempty"`
	Latencies []uint32 `json:"lat_us,omitempty"`
	Messages  int      `json:"messages,omitempty"`  // every message read, of any event
	Delivered int64    `json:"delivered,omitempty"` // progress: timed events so far
	Error     string   `json:"error,omitempty"`
}

// Summary is the probe's result.
type Summary struct {
	Conns             int     `json:"conns"`
	Failed            int     `json:"failed"`
	Deliveries        int     `json:"deliveries"` // timed events
	Messages          int     `json:"messages"`   // every message read, of any event
	WindowSeconds     float64 `json:"window_s"`
	P50Ms             float64 `json:"p50_ms"`
	P90Ms             float64 `json:"p90_ms"`
	P99Ms             float64 `json:"p99_ms"`
	MaxMs             float64 `json:"max_ms"`
	ServerWrites      uint64  `json:"server_write_syscalls,omitempty"`
	WritesPerDelivery float64 `json:"server_writes_per_delivery,omitempty"`
	// ServerIOUring: the server holds an io_uring, whose sends syscw
	// does not count; the two writes fields are then left out.
	ServerIOUring    bool    `json:"server_io_uring,omitempty"`
	CPUPerDeliveryUs float64 `json:"server_cpu_us_per_delivery,omitempty"`
}

func runParent(ctx context.Context, o options) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fanout-probe:", err)
		return 1
	}
	lines := make(chan childLine, 4*o.Procs)
	var wg sync.WaitGroup
	var cmds []*exec.Cmd
	for i := range o.Procs {
		n := o.Conns / o.Procs
		if i < o.Conns%o.Procs {
			n++
		}
		cmd := exec.CommandContext(ctx, exe, os.Args[1:]...)
		cmd.Args = append(cmd.Args, "-conns", strconv.Itoa(n))
		cmd.Env = append(os.Environ(), childEnv+"="+strconv.Itoa(i))
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		out, err := cmd.StdoutPipe()
		if err != nil || cmd.Start() != nil {
			fmt.Fprintln(os.Stderr, "fanout-probe: cannot start a child")
			return 1
		}
		cmds = append(cmds, cmd)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 1<<20), 1<<30)
			for sc.Scan() {
				var l childLine
				if json.Unmarshal(sc.Bytes(), &l) == nil {
					lines <- l
				}
			}
		}()
	}
	go func() { wg.Wait(); close(lines) }()
	var sum Summary
	sum.Conns = o.Conns
	var lat []uint32
	var before procCost
	var start time.Time
	ready := 0
	progress := make([]int64, o.Procs)
	var total int64
	lastChange := time.Now()
	ended := false
	for l := range lines {
		switch l.Type {
		case "progress":
			progress[l.Index] = l.Delivered
			var t int64
			for _, v := range progress {
				t += v
			}
			if t != total {
				total, lastChange = t, time.Now()
			} else if t > 0 && !ended && time.Since(lastChange) > o.Idle {
				ended = true
				for _, c := range cmds {
					c.Process.Signal(syscall.SIGUSR2)
				}
			}
		case "ready":
			sum.Failed += l.Failed
			if ready++; ready == o.Procs {
				fmt.Fprintln(os.Stderr, "ready")
				start = time.Now()
				if o.ServerPID > 0 {
					before, _ = readProcCost(o.ServerPID)
				}
				for _, c := range cmds { // the children listen until told
					c.Process.Signal(syscall.SIGUSR1)
				}
			}
		case "done":
			lat = append(lat, l.Latencies...)
			sum.Messages += l.Messages
		case "error":
			fmt.Fprintln(os.Stderr, "fanout-probe:", l.Error)
		}
	}
	for _, c := range cmds {
		c.Wait()
	}
	if start.IsZero() {
		fmt.Fprintln(os.Stderr, "fanout-probe: the connections never all subscribed")
		return 1
	}
	sum.WindowSeconds = time.Since(start).Seconds()
	sum.Deliveries = len(lat)
	slices.Sort(lat)
	q := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)]) / 1e3
	}
	sum.P50Ms, sum.P90Ms, sum.P99Ms = q(0.5), q(0.9), q(0.99)
	if len(lat) > 0 {
		sum.MaxMs = float64(lat[len(lat)-1]) / 1e3
	}
	if o.ServerPID > 0 && sum.Deliveries > 0 {
		if after, err := readProcCost(o.ServerPID); err == nil {
			if sum.ServerIOUring = usesIOUring(o.ServerPID); !sum.ServerIOUring {
				sum.ServerWrites = after.writes - before.writes
				sum.WritesPerDelivery = float64(sum.ServerWrites) / float64(sum.Deliveries)
			}
			sum.CPUPerDeliveryUs = float64(after.cpuTicks-before.cpuTicks) * 1e4 / float64(sum.Deliveries)
		}
	}
	b, _ := json.Marshal(sum)
	fmt.Println(string(b))
	if o.Out != "" {
		os.WriteFile(o.Out, append(b, '\n'), 0o644)
	}
	if sum.Failed > 0 {
		fmt.Fprintf(os.Stderr, "fanout-probe: %d connections failed\n", sum.Failed)
		return 1
	}
	return 0
}
