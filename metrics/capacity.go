package metrics

import vm "github.com/VictoriaMetrics/metrics"

// AcceptErrorReasons are the reason label values of
// fanout_accept_errors_total, served at zero from the start: the accept(2)
// errors that mean the process or the kernel ran out of descriptors
// (emfile: the process's RLIMIT_NOFILE; enfile: the system-wide file
// table) or of socket memory (enobufs, enomem). See accept(2).
var AcceptErrorReasons = []string{"emfile", "enfile", "enobufs", "enomem"}

// AcceptError counts one failed accept(2) under reason, one of
// AcceptErrorReasons (others are counted as given; keep them few). Each
// one means a listener paused: connections waited in the kernel's backlog.
func (m *Metrics) AcceptError(reason string) { m.acceptErrors.get(reason).Inc() }

// SetCapacity publishes fanout_capacity, the WebSocket connections this
// node admits before it refuses new ones (HTTP 503) and /readyz turns 503.
func (m *Metrics) SetCapacity(n int) { m.capacity.Set(float64(n)) }

func (m *Metrics) initCapacity(s *vm.Set) {
	m.acceptErrors = newFamily(s, "fanout_accept_errors_total", "reason")
	for _, r := range AcceptErrorReasons {
		m.acceptErrors.get(r)
	}
	m.capacity = s.NewGauge("fanout_capacity", nil)
}
