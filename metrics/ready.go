package metrics

// SetReadiness serves fanout_ready: 1 when ready() (read on each scrape)
// says the node would answer /readyz with 200, else 0. Call it once.
func (m *Metrics) SetReadiness(ready func() bool) {
	m.set.NewGauge("fanout_ready", func() float64 {
		if ready() {
			return 1
		}
		return 0
	})
}
