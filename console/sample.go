package console

import (
	"bytes"
	"math"
	"sync"
	"time"
)

// Sample is one node's figures at one time, as the overview shows them
// and the cluster store shares them. Rates are per second over the
// sampling interval; totals count since the node started.
type Sample struct {
	Node string `json:"node"`
	Time int64  `json:"time"` // unix milliseconds
	// Connections open now: in all, by app id and by transport
	// (websocket, sse).
	Connections int            `json:"connections"`
	ByApp       map[string]int `json:"by_app"`
	ByTransport map[string]int `json:"by_transport"`
	// Capacity is the most connections this node takes.
	Capacity int `json:"capacity"`
	Channels int `json:"channels"`
	// PublishedPerS: events accepted from the HTTP API and clients;
	// MessagesInPerS: WebSocket messages read; DeliveriesPerS: frames
	// written to subscribers.
	PublishedPerS  float64 `json:"published_per_s"`
	MessagesInPerS float64 `json:"messages_in_per_s"`
	DeliveriesPerS float64 `json:"deliveries_per_s"`
	BytesOutPerS   float64 `json:"bytes_out_per_s"`
	// Latency of one channel batch's fan-out (encode and write to every
	// local subscriber) in milliseconds over the interval; nil when no
	// batch was delivered.
	LatencyP50 *float64 `json:"latency_p50_ms"`
	LatencyP90 *float64 `json:"latency_p90_ms"`
	LatencyP99 *float64 `json:"latency_p99_ms"`
	// Refusals are totals by reason: overload refusals (publish,
	// client_event, ...), upgrades rejected (upgrade:<reason>), slow
	// consumers and heartbeat timeouts.
	Refusals map[string]float64 `json:"refusals"`
	// Broker is "ok", or what the broker's readiness check says.
	Broker       string  `json:"broker"`
	BrokerErrors float64 `json:"broker_errors"`
	// Webhooks are totals by result (ok, error, dropped).
	Webhooks map[string]float64 `json:"webhooks"`
}

// sampler reads the node's exposition every interval and keeps the last
// samples in a ring.
type sampler struct {
	node   string
	gather func(w *bytes.Buffer)
	ready  func() error

	kept *ring[Sample]

	mu      sync.Mutex // over the fields below: one take at a time
	prev    scrape
	prevAt  time.Time
	scratch bytes.Buffer
}

func newSampler(node string, keep int, gather func(*bytes.Buffer), ready func() error) *sampler {
	return &sampler{node: node, gather: gather, ready: ready, kept: newRing[Sample](keep)}
}

// take samples the node now and appends the sample to the ring.
func (s *sampler) take(now time.Time) Sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scratch.Reset()
	s.gather(&s.scratch)
	cur := parseScrape(s.scratch.Bytes())
	out := Sample{Node: s.node, Time: now.UnixMilli(), ByApp: map[string]int{}, ByTransport: map[string]int{},
		Refusals: map[string]float64{}, Webhooks: cur.byLabel("fanout_webhooks_total", "result"), Broker: "ok"}
	for app, v := range cur.byLabel("fanout_connections", "app") {
		out.ByApp[app] = int(v)
		out.Connections += int(v)
	}
	for t, v := range cur.byLabel("fanout_transport_connections", "transport") {
		out.ByTransport[t] = int(v)
	}
	out.Capacity = int(cur.value("fanout_capacity"))
	out.Channels = int(cur.value("fanout_channels"))
	for k, v := range cur.byLabel("fanout_overload_refusals_total", "kind") {
		out.Refusals[k] = v
	}
	for k, v := range cur.byLabel("fanout_upgrades_rejected_total", "reason") {
		out.Refusals["upgrade:"+k] += v
	}
	out.Refusals["slow_consumer"] = cur.value("fanout_slow_consumer_disconnects_total")
	out.Refusals["heartbeat_timeout"] = cur.value("fanout_heartbeat_timeouts_total")
	out.BrokerErrors = cur.sum("fanout_broker_errors_total")
	if err := s.ready(); err != nil {
		out.Broker = err.Error()
	}
	if s.prev.families != nil {
		dt := now.Sub(s.prevAt).Seconds()
		rate := func(v, p float64) float64 {
			if dt <= 0 || v < p {
				return 0
			}
			return (v - p) / dt
		}
		out.PublishedPerS = rate(cur.byLabel("fanout_publishes_total", "result")["ok"], s.prev.byLabel("fanout_publishes_total", "result")["ok"])
		out.MessagesInPerS = rate(cur.value("fanout_messages_in_total"), s.prev.value("fanout_messages_in_total"))
		out.DeliveriesPerS = rate(cur.value("fanout_messages_out_total"), s.prev.value("fanout_messages_out_total"))
		out.BytesOutPerS = rate(cur.value("fanout_bytes_out_total"), s.prev.value("fanout_bytes_out_total"))
		pb, cb := s.prev.buckets("fanout_delivery_duration_seconds"), cur.buckets("fanout_delivery_duration_seconds")
		out.LatencyP50, out.LatencyP90, out.LatencyP99 = ms(quantile(.5, pb, cb)), ms(quantile(.9, pb, cb)), ms(quantile(.99, pb, cb))
	}
	s.prev, s.prevAt = cur, now
	s.kept.push(out)
	return out
}

// ms converts seconds to milliseconds, nil for NaN.
func ms(sec float64) *float64 {
	if math.IsNaN(sec) {
		return nil
	}
	v := math.Round(sec*1e6) / 1e3
	return &v
}
