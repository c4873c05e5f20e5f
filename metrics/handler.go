package metrics

import (
	"bytes"
	"io"
	"net/http"

	vm "github.com/VictoriaMetrics/metrics"
)

// WritePrometheus writes every fanout_ series with its # HELP and # TYPE
// lines, then Go runtime and process metrics, including process_open_fds
// and process_max_fds (read from /proc/self/fd and /proc/self/limits), in
// the Prometheus text format.
func (m *Metrics) WritePrometheus(w io.Writer) {
	var buf bytes.Buffer
	m.set.WritePrometheus(&buf)
	writeWithHelp(w, buf.Bytes())
	vm.WriteProcessMetrics(w)
	vm.WriteFDMetrics(w)
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
