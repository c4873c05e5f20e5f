package metrics

import vm "github.com/VictoriaMetrics/metrics"

// ioUringFailures counts the io_uring rings of delivery workers that
// failed after they had worked, and the connections shut down with them.
type ioUringFailures struct {
	rings, disconnects *vm.Counter
}

func newIOUringFailures(s *vm.Set) ioUringFailures {
	return ioUringFailures{
		rings:       s.NewCounter("fanout_io_uring_failures_total"),
		disconnects: s.NewCounter("fanout_io_uring_failure_disconnects_total"),
	}
}

// IOUringFailed counts a delivery worker whose ring failed at run time
// (io_uring_enter(2) returned an error such as EBADF, EFAULT or ENXIO),
// and conns connections shut down because the ring held their sends, so
// that whether those went out is unknown. The worker writes with
// writev(2) from then on.
func (m *Metrics) IOUringFailed(conns int) {
	m.ioUringFailures.rings.Inc()
	m.ioUringFailures.disconnects.Add(conns)
}
