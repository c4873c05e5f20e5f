package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

const usage = `usage: fanout bench <scenario> [flags]

scenarios:
  connect   open --conns connections over --channels channels, hold --duration
  fanout    as connect, then publish --rate events/s for --duration; latency
  churn     connect/subscribe/disconnect cycles, --conns at a time
  storm     --conns on one private channel, --senders of them sending client
            events at --rate in total; a watcher probes new connections and
            a publish to another channel every --probe-every
  report    merge result files: report --in a.json,b.json --out DIR
  worker    internal: a worker process (config on stdin)

run "fanout bench <scenario> -h" for flags.
`

// Run executes `fanout bench <args...>` (args excludes "bench") and
// returns the process exit code: 0 success, 1 run failure, 2 usage.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "worker":
		return runWorker(ctx, os.Stdin, stdout)
	case "report":
		return runReport(args[1:], stdout, stderr)
	case "connect", "fanout", "churn", "storm":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "fanout bench: unknown scenario %q\n%s", args[0], usage)
		return 2
	}
	o, err := parseOptions(args[0], args[1:], stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "fanout bench:", err)
		return 2
	}
	res, err := Execute(ctx, o, stderr)
	if res != nil {
		fmt.Fprint(stdout, markdownTable([]Result{*res}))
		if o.Out != "" {
			if werr := writeOut(o.Out, []Result{*res}); werr != nil {
				fmt.Fprintln(stderr, "fanout bench:", werr)
				return 1
			}
		}
	}
	if res != nil {
		herr := res.HarnessCheck()
		if note := res.HarnessNote(); herr == nil && note != "" {
			fmt.Fprintln(stderr, "fanout bench:", note)
		}
		err = errors.Join(herr, res.Check(), err) // the harness's own limit, what failed, then why the run stopped
	}
	if err != nil {
		printErr(stderr, err)
		return 1
	}
	return 0
}

// printErr writes each line of err as "fanout bench: ...".
func printErr(w io.Writer, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(w, "fanout bench:", strings.TrimPrefix(line, "bench: "))
	}
}

// RunWorkerIfChild runs a worker and exits when the process was started
// as one (the harness sets an environment marker); binaries that do not
// route "bench worker" to Run, such as test binaries, call it first.
func RunWorkerIfChild() {
	if os.Getenv(workerEnv) == "" {
		return
	}
	os.Exit(runWorker(context.Background(), os.Stdin, os.Stdout))
}

// Execute runs one scenario with o (defaults filled) and returns its
// result; a partial result comes back with the error when possible.
func Execute(ctx context.Context, o Options, stderr io.Writer) (*Result, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	p, err := startPool(ctx, &o, stderr)
	if err != nil {
		return nil, err
	}
	defer p.kill()
	r := &run{o: &o, pool: p, prog: newProgress(stderr, o.Quiet)}
	r.res = o.settings()
	err = r.scenario(ctx)
	r.prog.close()
	results, serr := p.stop(context.WithoutCancel(ctx))
	r.finish(results)
	if err == nil {
		err = serr
	}
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("bench: --timeout %s reached: %w", o.Timeout, err)
	}
	return &r.res, err
}
