package metrics

import "io"

// WriteSeries writes the fanout_ series alone, without the Go runtime
// and process metrics (which read /proc, listing every open descriptor):
// for readers that sample often, such as the web console.
func (m *Metrics) WriteSeries(w io.Writer) { m.set.WritePrometheus(w) }
