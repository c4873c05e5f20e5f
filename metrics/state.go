package metrics

import (
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// appState holds the per-app gauges of what this node holds, and the
// app's fan-out traffic.
type appState struct {
	subscriptions, members *vm.Gauge
	messagesOut, bytesOut  *vm.Counter
}

func (m *Metrics) newAppState(id string) appState {
	return appState{
		subscriptions: m.set.GetOrCreateGauge(labelled("fanout_subscriptions", "app", id), nil),
		members:       m.set.GetOrCreateGauge(labelled("fanout_presence_members", "app", id), nil),
		messagesOut:   m.set.GetOrCreateCounter(labelled("fanout_app_messages_out_total", "app", id)),
		bytesOut:      m.set.GetOrCreateCounter(labelled("fanout_app_bytes_out_total", "app", id)),
	}
}

// SubscriptionsDelta moves app's fanout_subscriptions gauge (channel
// subscriptions held by this node's connections) by d.
func (m *Metrics) SubscriptionsDelta(app string, d int) {
	m.app(app).subscriptions.Add(float64(d))
}

// PresenceMembersDelta moves app's fanout_presence_members gauge
// (distinct users per presence channel on this node) by d.
func (m *Metrics) PresenceMembersDelta(app string, d int) {
	m.app(app).members.Add(float64(d))
}

// AppDelivered counts frames and bytes of app's events written to
// subscribers by the fan-out, in fanout_app_messages_out_total and
// fanout_app_bytes_out_total.
func (m *Metrics) AppDelivered(app string, frames, bytes int) {
	a := m.app(app)
	a.messagesOut.Add(frames)
	a.bytesOut.Add(bytes)
}

// PublishToSocket records one event's time from its arrival on this node
// (the HTTP API accepting it, or the broker handing it over) to its
// frame's write to the last local subscriber, in
// fanout_publish_to_socket_seconds.
func (m *Metrics) PublishToSocket(d time.Duration) {
	m.publishToSocket.Update(d.Seconds())
}
