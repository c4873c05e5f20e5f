package metrics

import (
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// Metrics owns one metrics set and the cached counters the server updates.
// Create it with [New]; the zero value is not usable.
type Metrics struct {
	set *vm.Set

	messagesIn, messagesOut *vm.Counter
	bytesIn, bytesOut       *vm.Counter
	slowConsumers           *vm.Counter
	heartbeatTimeouts       *vm.Counter
	ioUringUnavailable      *vm.Counter
	ioUringFailures         ioUringFailures
	channels                *vm.Gauge
	fanoutDuration          *vm.PrometheusHistogram

	rejected [numRejectReasons]*vm.Counter
	webhooks [numWebhookResults]*vm.Counter
	closed   closeCodes
	broker   *family
	refusals *family
	// departures counts member_removed/channel_vacated webhooks held for
	// their grace, by outcome.
	departures *family

	acceptErrors *family
	capacity     *vm.Gauge

	http            *httpAPI
	brokerHealth    brokerHealth
	publishToSocket *vm.PrometheusHistogram
	webhookDuration *vm.PrometheusHistogram
	webhookQueues   webhookQueues
	transports      transports
	ended           ended

	appsMu sync.RWMutex
	apps   map[string]*appMetrics
}

// appMetrics holds the per-app series.
type appMetrics struct {
	appLimits
	connections *vm.Gauge
	opened      *vm.Counter
	publishes   [numPublishResults]*vm.Counter
	// History: events appended, recoveries asked and their outcomes.
	appends, recoveriesAsked, recovered, recoveryFailed *vm.Counter
	appState
	appAPI
}

// FanoutBuckets are the upper bounds, in seconds, of
// fanout_delivery_duration_seconds: 50 µs doubling up to about 6.5 s.
func FanoutBuckets() []float64 { return vm.ExponentialBuckets(0.00005, 2, 18) }

// New returns a Metrics with every fixed series registered (at zero).
func New() *Metrics {
	// # TYPE lines, so that Prometheus knows the gauges and the histogram
	// for what they are. The switch is the library's, process-wide; fanout
	// is its only user in the process.
	vm.ExposeMetadata(true)
	s := vm.NewSet()
	m := &Metrics{
		set:               s,
		messagesIn:        s.NewCounter("fanout_messages_in_total"),
		messagesOut:       s.NewCounter("fanout_messages_out_total"),
		bytesIn:           s.NewCounter("fanout_bytes_in_total"),
		bytesOut:          s.NewCounter("fanout_bytes_out_total"),
		slowConsumers:     s.NewCounter("fanout_slow_consumer_disconnects_total"),
		heartbeatTimeouts: s.NewCounter("fanout_heartbeat_timeouts_total"),
		channels:          s.NewGauge("fanout_channels", nil),
		fanoutDuration:    s.NewPrometheusHistogramExt("fanout_delivery_duration_seconds", FanoutBuckets()),
		broker:            newFamily(s, "fanout_broker_errors_total", "op"),
		refusals:          newFamily(s, "fanout_overload_refusals_total", "kind"),
		departures:        newFamily(s, "fanout_webhook_departures_total", "outcome"),
		apps:              make(map[string]*appMetrics),
	}
	m.ioUringUnavailable = s.NewCounter("fanout_io_uring_unavailable_total")
	m.ioUringFailures = newIOUringFailures(s)
	m.closed = newCloseCodes(s)
	m.transports = newTransports(s)
	m.ended = ended{set: s, by: map[endedKey]*vm.Counter{}}
	m.initCapacity(s)
	m.http = newHTTPAPI(s)
	m.brokerHealth = newBrokerHealth(s)
	m.publishToSocket = s.NewPrometheusHistogramExt("fanout_publish_to_socket_seconds", FanoutBuckets())
	m.webhookDuration = s.NewPrometheusHistogramExt("fanout_webhook_request_duration_seconds", WebhookBuckets())
	m.webhookQueues = webhookQueues{set: s, fns: map[string]func() int{}}
	for _, op := range []string{"publish", "subscribe", "presence"} {
		m.broker.get(op) // served at zero from the start
	}
	for _, k := range RefusalKinds {
		m.refusals.get(k) // served at zero from the start
	}
	for r := range m.rejected {
		m.rejected[r] = s.NewCounter(labelled("fanout_upgrades_rejected_total", "reason", RejectReason(r).String()))
	}
	for _, o := range []string{"held", "sent", "cancelled"} {
		m.departures.get(o) // served at zero from the start
	}
	for r := range m.webhooks {
		m.webhooks[r] = s.NewCounter(labelled("fanout_webhooks_total", "result", WebhookResult(r).String()))
	}
	return m
}

// app returns the series of one app, creating them on first use.
func (m *Metrics) app(id string) *appMetrics {
	m.appsMu.RLock()
	a := m.apps[id]
	m.appsMu.RUnlock()
	if a != nil {
		return a
	}
	m.appsMu.Lock()
	defer m.appsMu.Unlock()
	if a = m.apps[id]; a == nil {
		a = m.newApp(id)
		m.apps[id] = a
	}
	return a
}

func (m *Metrics) newApp(id string) *appMetrics {
	a := &appMetrics{
		connections: m.set.GetOrCreateGauge(labelled("fanout_connections", "app", id), nil),
		opened:      m.set.GetOrCreateCounter(labelled("fanout_connections_opened_total", "app", id)),
		appLimits:   m.newAppLimits(id),
	}
	for r := range a.publishes {
		name := labelled2("fanout_publishes_total", "app", id, "result", PublishResult(r).String())
		a.publishes[r] = m.set.GetOrCreateCounter(name)
	}
	a.appends = m.set.GetOrCreateCounter(labelled("fanout_history_appends_total", "app", id))
	a.recoveriesAsked = m.set.GetOrCreateCounter(labelled("fanout_history_recoveries_asked_total", "app", id))
	a.recovered = m.set.GetOrCreateCounter(labelled2("fanout_history_recoveries_total", "app", id, "result", "recovered"))
	a.recoveryFailed = m.set.GetOrCreateCounter(labelled2("fanout_history_recoveries_total", "app", id, "result", "failed"))
	a.appState = m.newAppState(id)
	a.appAPI = m.newAppAPI(id)
	return a
}

// HistoryAppended counts n events of app given a stream position by a
// publish on this node (fanout_history_appends_total).
func (m *Metrics) HistoryAppended(app string, n int) { m.app(app).appends.Add(n) }

// Recovery counts one subscribe of app that asked to recover
// (fanout_history_recoveries_asked_total) and its outcome
// (fanout_history_recoveries_total, result recovered or failed).
func (m *Metrics) Recovery(app string, ok bool) {
	a := m.app(app)
	a.recoveriesAsked.Inc()
	if ok {
		a.recovered.Inc()
	} else {
		a.recoveryFailed.Inc()
	}
}

// AddApp registers the series of app id at zero, so dashboards show the
// app before its first connection. Optional.
func (m *Metrics) AddApp(id string) { m.app(id) }

// ConnectionOpened counts an accepted connection of app and raises its
// fanout_connections gauge.
func (m *Metrics) ConnectionOpened(app string) {
	a := m.app(app)
	a.opened.Inc()
	a.connections.Inc()
}

// ConnectionClosed lowers app's fanout_connections gauge and counts the
// close under its close code. Call it exactly once per ConnectionOpened.
func (m *Metrics) ConnectionClosed(app string, code int) {
	m.app(app).connections.Dec()
	m.closed.get(code).Inc()
}

// UpgradeRejected counts an upgrade refused for reason r.
func (m *Metrics) UpgradeRejected(r RejectReason) {
	if r >= numRejectReasons {
		r = RejectBadRequest
	}
	m.rejected[r].Inc()
}

// MessageIn counts one message received from a client, of n bytes.
func (m *Metrics) MessageIn(n int) {
	m.messagesIn.Inc()
	m.bytesIn.Add(n)
}

// MessagesOut counts count messages written to clients, n bytes in all.
// A broadcast frame shared by k recipients is k messages.
func (m *Metrics) MessagesOut(count, n int) {
	m.messagesOut.Add(count)
	m.bytesOut.Add(n)
}

// Published counts a publish through the HTTP API for app.
func (m *Metrics) Published(app string, r PublishResult) {
	if r >= numPublishResults {
		r = PublishError
	}
	m.app(app).publishes[r].Inc()
}

// ObserveFanout records how long one event took to reach its local
// subscribers' send queues.
func (m *Metrics) ObserveFanout(d time.Duration) {
	m.fanoutDuration.Update(d.Seconds())
}

// ChannelsAdd moves the fanout_channels gauge by delta (+1 when a channel
// becomes occupied, -1 when it is vacated).
func (m *Metrics) ChannelsAdd(delta int) { m.channels.Add(float64(delta)) }

// SlowConsumerDisconnect counts a connection closed because its send
// queue was full.
func (m *Metrics) SlowConsumerDisconnect() { m.slowConsumers.Inc() }

// IOUringUnavailable counts a delivery worker that was to write through
// io_uring (server.io_uring) but could not set up its ring.
func (m *Metrics) IOUringUnavailable() { m.ioUringUnavailable.Inc() }

// HeartbeatTimeout counts a connection closed because no pong arrived.
func (m *Metrics) HeartbeatTimeout() { m.heartbeatTimeouts.Inc() }

// RefusalKinds are the values of the kind label of
// fanout_overload_refusals_total.
var RefusalKinds = []string{"client_event", "member_event", "upgrade", "publish", "delivery", "recovery"}

// Refused counts work refused for want of room, by kind (one of
// RefusalKinds), in fanout_overload_refusals_total: client events answered
// pusher:error 4100 (client_event), member events not sent (member_event),
// connections closed 4100 before their token check (upgrade), HTTP API
// publishes answered 503 (publish), broker publications dropped
// (delivery), connections closed 4100 before their history replay
// (recovery).
func (m *Metrics) Refused(kind string) { m.refusals.get(kind).Inc() }

// BrokerError counts a failed broker operation, e.g. "publish",
// "subscribe", "presence". Keep op to a small fixed set.
func (m *Metrics) BrokerError(op string) { m.broker.get(op).Inc() }

// Webhook counts webhook outcomes.
func (m *Metrics) Webhook(r WebhookResult) {
	if r >= numWebhookResults {
		r = WebhookError
	}
	m.webhooks[r].Inc()
}

// WebhookDeparture counts a member_removed or channel_vacated webhook
// held for its grace (held), sent after it (sent), or cancelled with its
// return's webhook because the user or channel came back (cancelled).
func (m *Metrics) WebhookDeparture(outcome string) { m.departures.get(outcome).Inc() }

// WebhookResultFunc adapts Webhook to a func(ok bool), the shape of
// webhook.Options.OnResult.
func (m *Metrics) WebhookResultFunc() func(ok bool) {
	return func(ok bool) {
		if ok {
			m.Webhook(WebhookOK)
		} else {
			m.Webhook(WebhookError)
		}
	}
}

// WebhookDropFunc returns a func counting one dropped webhook event, the
// shape of webhook.Options.OnDrop.
func (m *Metrics) WebhookDropFunc() func() {
	return func() { m.Webhook(WebhookDropped) }
}
