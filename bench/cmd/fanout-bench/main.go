// Command fanout-bench runs the load harness on its own, without the
// server: fanout-bench connect|fanout|churn|storm|report [flags]. It is the
// same code as `fanout bench`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/fanout/fanout/bench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "bench" { // workers are started as "<exe> bench worker"
		args = args[1:]
	}
	os.Exit(bench.Run(ctx, args, os.Stdout, os.Stderr))
}
