package metrics

import vm "github.com/VictoriaMetrics/metrics"

// Transports are the values of the transport label: how a connection's
// events are written (RFC 6455 WebSocket frames, or a WHATWG HTML
// text/event-stream).
var Transports = []string{"websocket", "sse"}

// transports holds fanout_transport_connections and
// fanout_transport_connections_opened_total, one series per transport,
// served at zero from the start.
type transports struct {
	open   map[string]*vm.Gauge
	opened map[string]*vm.Counter
}

func newTransports(s *vm.Set) transports {
	t := transports{open: map[string]*vm.Gauge{}, opened: map[string]*vm.Counter{}}
	for _, name := range Transports {
		t.open[name] = s.NewGauge(labelled("fanout_transport_connections", "transport", name), nil)
		t.opened[name] = s.NewCounter(labelled("fanout_transport_connections_opened_total", "transport", name))
	}
	return t
}

// TransportOpened counts an admitted connection of transport t (one of
// Transports; others are ignored) and raises its gauge.
func (m *Metrics) TransportOpened(t string) {
	if g := m.transports.open[t]; g != nil {
		g.Inc()
		m.transports.opened[t].Inc()
	}
}

// TransportClosed lowers transport t's gauge; call it once per
// TransportOpened.
func (m *Metrics) TransportClosed(t string) {
	if g := m.transports.open[t]; g != nil {
		g.Dec()
	}
}
