package bench

import (
	"fmt"
	"strings"
)

// The self-check's two bars, as shares of a count of cores.
const (
	// harnessCoreShare: the workers count as saturated past this share
	// of the cores available to them. A worker's event loops then seldom
	// find a free core when a socket turns readable, so deliveries wait
	// in its socket buffers and the latency it records is its own wait.
	harnessCoreShare = 0.9
	// contendedShare: the workers and the server together contend for
	// the cores they share from this share of those cores on. On two
	// cores at half load a thread that turns runnable finds both busy
	// about a third of the time (Erlang C for two servers at 50 %
	// utilisation, 2ρ²/(1+ρ) = 1/3), so a wait for CPU stops being rare;
	// below it the two seldom stand in each other's way, whatever each
	// spends per delivery.
	contendedShare = 0.5
)

// HarnessBoundError says the harness, not the server, limited a run, by
// the rule in Result.HarnessCheck. Latency and coalescing figures of
// such a run are the harness's own, so `fanout bench` exits 1 with it.
type HarnessBoundError struct {
	Saturated bool // the workers held more than harnessCoreShare of their cores
	Contended bool // workers + server reached contendedShare of the machine, workers costlier

	HarnessCores          float64 // workers' CPU seconds per wall second
	HarnessCoresAvailable int     // cores the workers may use (affinity, GOMAXPROCS)
	HarnessUsPerDelivery  float64 // workers' CPU µs per delivery

	ServerMeasured      bool    // false: no --server-pid, server figures unknown
	ServerCores         float64 // server's CPU seconds per wall second
	ServerUsPerDelivery float64 // server's CPU µs per delivery
	MachineCores        int     // CPUs in the workers' and the server's masks together
}

func (e *HarnessBoundError) Error() string {
	var why []string
	if e.Saturated {
		why = append(why, fmt.Sprintf("its workers used %.2f of the %d cores available to them (bar %.0f %%)",
			e.HarnessCores, e.HarnessCoresAvailable, harnessCoreShare*100))
	}
	if e.Contended {
		why = append(why, fmt.Sprintf("its workers and the server used %.2f + %.2f of the machine's %d cores "+
			"(contended from %.0f %%) and the workers spent more CPU per delivery than the server (%.2f µs against %.2f µs)",
			e.HarnessCores, e.ServerCores, e.MachineCores, contendedShare*100, e.HarnessUsPerDelivery, e.ServerUsPerDelivery))
	}
	if !e.ServerMeasured {
		why = append(why, "the server's CPU was not measured (no --server-pid)")
	}
	return "bench: SELF-CHECK FAILED: the harness is the bottleneck, not the server: " + strings.Join(why, "; ") +
		"; its latency figures measure itself (use more cores, fewer connections, or a lower rate)"
}

// setHarnessCost fills the harness's own cost from the workers' cost
// delta d over a window of secs seconds, and the cores in scope.
func (r *Result) setHarnessCost(d procCost, secs float64, cores coreScope) {
	r.HarnessCPUSeconds = float64(d.cpuTicks) / clockTicks
	r.HarnessCoresAvailable, r.MachineCores, r.SharedCores = cores.workers, cores.machine, cores.shared
	if secs > 0 {
		r.HarnessCores = r.HarnessCPUSeconds / secs
	}
	if r.Delivered > 0 {
		r.HarnessCPUPerDeliveryUs = r.HarnessCPUSeconds * 1e6 / float64(r.Delivered)
	}
}

// HarnessCheck says whether the harness's own CPU limited the run. With
// H and S the workers' and the server's CPU seconds per wall second over
// the publish window (HarnessCores, ServerCores), it returns a
// *HarnessBoundError when
//
//   - the workers are saturated: H > harnessCoreShare (0.9) ×
//     HarnessCoresAvailable, the cores their affinity masks and
//     GOMAXPROCS leave them (not the machine's, which they may not
//     reach); or
//   - the workers take cores the server needs: the server was measured,
//     shares CPUs with the workers, H + S ≥ contendedShare (0.5) ×
//     MachineCores, and H > S, which over one window and one count of
//     deliveries is the same as the workers spending more CPU µs per
//     delivery than the server.
//
// Costing more per delivery alone is not a bottleneck: reading a frame
// costs a client about what writing it costs a server, and while the
// two leave cores idle neither waits for the other (at 2 events/s to
// 18,000 subscribers, 9.38 µs per delivery against the server's 8.53 µs
// at 0.34 + 0.31 of two cores, the harness's p99 matched an independent
// client's within 1 %). Without --server-pid only saturation can be
// judged; HarnessNote says so. It returns nil when neither holds, or
// when the workers' CPU or the deliveries were not measured (0).
func (r *Result) HarnessCheck() error {
	if r.HarnessCPUSeconds == 0 || r.Delivered == 0 {
		return nil
	}
	e := &HarnessBoundError{HarnessCores: r.HarnessCores, HarnessCoresAvailable: r.HarnessCoresAvailable,
		HarnessUsPerDelivery: r.HarnessCPUPerDeliveryUs, ServerMeasured: r.ServerCPUMeasured,
		ServerCores: r.ServerCores, ServerUsPerDelivery: r.CPUPerDeliveryUs, MachineCores: r.MachineCores}
	e.Saturated = r.HarnessCoresAvailable > 0 && r.HarnessCores > harnessCoreShare*float64(r.HarnessCoresAvailable)
	e.Contended = r.ServerCPUMeasured && r.SharedCores > 0 && r.MachineCores > 0 &&
		r.HarnessCores+r.ServerCores >= contendedShare*float64(r.MachineCores) &&
		r.HarnessCPUPerDeliveryUs > r.CPUPerDeliveryUs
	if !e.Saturated && !e.Contended {
		return nil
	}
	return e
}

// HarnessNote is what a run that passed HarnessCheck could not judge:
// "" when the server's CPU was measured or the workers' was not, else a
// line saying that only the workers' saturation was checked.
func (r *Result) HarnessNote() string {
	if r.ServerCPUMeasured || r.HarnessCPUSeconds == 0 || r.Delivered == 0 {
		return ""
	}
	return fmt.Sprintf("self-check: the server's CPU was not measured (no --server-pid), so whether the workers "+
		"took cores it needed is unknown; only their saturation was checked: %.2f of the %d cores available to them",
		r.HarnessCores, r.HarnessCoresAvailable)
}
