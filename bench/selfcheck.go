package bench

import (
	"fmt"
	"runtime"
)

// harnessCoreShare is the share of the machine's cores past which the
// workers count as saturated: a server sharing the machine with them
// then waits for CPU the harness holds.
const harnessCoreShare = 0.9

// HarnessBoundError says the harness, not the server, limited a run:
// its workers spent more CPU per delivery than the server did, or used
// nearly every core of the machine. Latency and coalescing figures of
// such a run are the harness's own, so `fanout bench` exits 1 with it.
type HarnessBoundError struct {
	HarnessUsPerDelivery float64 // workers' CPU µs per delivery
	ServerUsPerDelivery  float64 // 0 when the server's cost was not measured
	HarnessCores         float64 // workers' CPU seconds per wall second
	MachineCores         int
}

func (e *HarnessBoundError) Error() string {
	return fmt.Sprintf("bench: SELF-CHECK FAILED: the harness is the bottleneck, not the server: "+
		"its workers used %.2f µs of CPU per delivery (server: %.2f µs) and %.2f of %d cores; "+
		"its latency figures measure itself (use more cores, fewer connections, or a lower rate)",
		e.HarnessUsPerDelivery, e.ServerUsPerDelivery, e.HarnessCores, e.MachineCores)
}

// setHarnessCost fills the harness's own cost from the workers' cost
// delta d over a window of secs seconds.
func (r *Result) setHarnessCost(d procCost, secs float64) {
	r.HarnessCPUSeconds = float64(d.cpuTicks) / clockTicks
	r.MachineCores = runtime.NumCPU()
	if secs > 0 {
		r.HarnessCores = r.HarnessCPUSeconds / secs
	}
	if r.Delivered > 0 {
		r.HarnessCPUPerDeliveryUs = r.HarnessCPUSeconds * 1e6 / float64(r.Delivered)
	}
}

// HarnessCheck returns a *HarnessBoundError when the workers spent more
// CPU per delivery than the measured server, or used more than
// harnessCoreShare of the machine's cores over the publish window; nil
// when neither holds or nothing was measured.
func (r *Result) HarnessCheck() error {
	if r.HarnessCPUSeconds == 0 || r.Delivered == 0 {
		return nil
	}
	costlier := r.CPUPerDeliveryUs > 0 && r.HarnessCPUPerDeliveryUs > r.CPUPerDeliveryUs
	saturated := r.MachineCores > 0 && r.HarnessCores > harnessCoreShare*float64(r.MachineCores)
	if !costlier && !saturated {
		return nil
	}
	return &HarnessBoundError{HarnessUsPerDelivery: r.HarnessCPUPerDeliveryUs,
		ServerUsPerDelivery: r.CPUPerDeliveryUs, HarnessCores: r.HarnessCores, MachineCores: r.MachineCores}
}
