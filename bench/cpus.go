package bench

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// coreScope is how many CPUs the workers and the server may run on, from
// their CPU affinity masks (sched_getaffinity(2), which taskset(1) and
// cpusets set), for the self-check.
type coreScope struct {
	// workers: cores the workers can use together, the CPUs in the
	// union of their masks, capped at Workers × GOMAXPROCS (each worker
	// runs Go code on at most GOMAXPROCS threads at once; it inherits
	// the parent's environment and cgroup, whose CPU limit Go's default
	// GOMAXPROCS follows).
	workers int
	// machine: CPUs in the union of the workers' and the server's masks,
	// the cores the two compete for; the workers' alone without server
	// pids.
	machine int
	// shared: CPUs in both masks; 0 when no server pid was given or the
	// two are pinned apart, and then neither can take the other's cores.
	shared int
}

// readCoreScope reads the affinity masks of the worker and server
// processes; workers is how many worker processes there are. A mask it
// cannot read (the process has exited) counts as this process's own.
func readCoreScope(workerPIDs, serverPIDs []int, workers int) coreScope {
	w := cpuUnion(workerPIDs)
	sc := coreScope{workers: min(w.Count(), workers*runtime.GOMAXPROCS(0)), machine: w.Count()}
	if len(serverPIDs) == 0 {
		return sc
	}
	s := cpuUnion(serverPIDs)
	var both unix.CPUSet
	for i := range w {
		both[i] = w[i] & s[i]
		w[i] |= s[i]
	}
	sc.shared, sc.machine = both.Count(), w.Count()
	return sc
}

// cpuUnion is the union of pids' affinity masks; ownCPUs for no pid.
func cpuUnion(pids []int) unix.CPUSet {
	if len(pids) == 0 {
		return ownCPUs()
	}
	var u unix.CPUSet
	for _, pid := range pids {
		var s unix.CPUSet
		if unix.SchedGetaffinity(pid, &s) != nil {
			s = ownCPUs()
		}
		for i := range u {
			u[i] |= s[i]
		}
	}
	return u
}

// ownCPUs is this process's mask, or CPUs 0 to runtime.NumCPU-1.
func ownCPUs() unix.CPUSet {
	var s unix.CPUSet
	if unix.SchedGetaffinity(0, &s) != nil {
		s.Zero()
		for c := range runtime.NumCPU() {
			s.Set(c)
		}
	}
	return s
}
