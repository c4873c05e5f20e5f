package metrics

import (
	"io"
	"net/http"

	vm "github.com/VictoriaMetrics/metrics"
)

// WritePrometheus writes every fanout_ series, then Go runtime and
// process metrics, in the Prometheus text format.
func (m *Metrics) WritePrometheus(w io.Writer) {
	m.set.WritePrometheus(w)
	vm.WriteProcessMetrics(w)
}

// Handler serves the exposition at GET /metrics and 404 elsewhere, so it
// can be the whole handler of the --metrics-addr listener or be mounted
// at "/metrics" on another mux.
func (m *Metrics) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		if r.Method == http.MethodHead {
			return
		}
		m.WritePrometheus(w)
	})
	return mux
}
