package bench

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// ProfileEnv names an environment variable: when set to a path prefix,
// each worker writes a CPU profile of its whole life to
// <prefix>.worker<index>.pprof (read it with `go tool pprof`). It is how
// the harness's own read path is profiled under a scenario.
const ProfileEnv = "FANOUT_BENCH_CPUPROFILE"

// startProfile starts worker index's CPU profile when ProfileEnv asks
// for one; it returns the function that ends and writes it, or nil.
func startProfile(index int) func() {
	prefix := os.Getenv(ProfileEnv)
	if prefix == "" {
		return nil
	}
	f, err := os.Create(fmt.Sprintf("%s.worker%d.pprof", prefix, index))
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench worker %d: %s: %v\n", index, ProfileEnv, err)
		return nil
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "bench worker %d: %s: %v\n", index, ProfileEnv, err)
		f.Close()
		return nil
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
