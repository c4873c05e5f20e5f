// Command fanout is the fanout WebSocket server, its load harness and its
// token tool. See README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/fanout/fanout/bench"
)

const usage = `usage: fanout <command> [flags]

commands:
  serve     run the server (fanout serve -h for flags)
  bench     the load harness (fanout bench -h)
  token     mint a JWT for an app (fanout token -h)
  healthcheck  probe a running node's /healthz, exit 0 on 200 (for containers)
  version   print version information
`

func main() {
	bench.RunWorkerIfChild()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "bench":
		return bench.Run(context.Background(), args[1:], stdout, stderr)
	case "token":
		return token(args[1:], stdout, stderr)
	case "healthcheck":
		return healthcheck(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		printVersion(stdout)
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "fanout: unknown command %q\n%s", args[0], usage)
	return 2
}
