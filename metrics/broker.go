package metrics

import (
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// brokerHealth holds fanout_broker_up, fanout_broker_rtt_seconds and
// fanout_broker_late_publications_total.
type brokerHealth struct {
	up   *vm.Gauge
	rtt  *vm.PrometheusHistogram
	late *vm.Counter
}

func newBrokerHealth(s *vm.Set) brokerHealth {
	b := brokerHealth{
		up:   s.NewGauge("fanout_broker_up", nil),
		rtt:  s.NewPrometheusHistogramExt("fanout_broker_rtt_seconds", FanoutBuckets()),
		late: s.NewCounter("fanout_broker_late_publications_total"),
	}
	b.up.Set(1) // the in-process broker is always up; Redis reports
	return b
}

// BrokerHealth records one check of the broker's server (Redis): whether
// it answered (fanout_broker_up, 1 or 0) and, when it did, the round
// trip (fanout_broker_rtt_seconds).
func (m *Metrics) BrokerHealth(up bool, rtt time.Duration) {
	if !up {
		m.brokerHealth.up.Set(0)
		return
	}
	m.brokerHealth.up.Set(1)
	m.brokerHealth.rtt.Update(rtt.Seconds())
}

// BrokerLate counts a publication the broker did not deliver because it
// ran after its caller was answered 503 and after a later publication of
// its channel (fanout_broker_late_publications_total).
func (m *Metrics) BrokerLate() { m.brokerHealth.late.Inc() }
