package metrics

import (
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"
)

// WebhookBuckets are the upper bounds, in seconds, of
// fanout_webhook_request_duration_seconds: 1 ms doubling up to about 16 s
// (a webhook request times out after 10 s).
func WebhookBuckets() []float64 { return vm.ExponentialBuckets(0.001, 2, 15) }

// webhookQueues serves fanout_webhook_queued_events per app, read at
// scrape time from the app's sender through the function it registered.
type webhookQueues struct {
	set *vm.Set
	mu  sync.Mutex
	fns map[string]func() int
}

// WebhookRequest records one webhook HTTP request's duration, to the
// response's headers or the failure, in
// fanout_webhook_request_duration_seconds.
func (m *Metrics) WebhookRequest(took time.Duration) {
	m.webhookDuration.Update(took.Seconds())
}

// SetWebhookQueue makes fanout_webhook_queued_events{app} report queued(),
// the events of app waiting for a webhook request; a later call for the
// same app replaces the function (a reloaded app), nil reports 0.
func (m *Metrics) SetWebhookQueue(app string, queued func() int) {
	q := &m.webhookQueues
	q.mu.Lock()
	_, seen := q.fns[app]
	q.fns[app] = queued
	q.mu.Unlock()
	if seen {
		return
	}
	// Outside q.mu: a scrape holds the set's lock while it calls the
	// gauge, which takes q.mu.
	q.set.NewGauge(labelled("fanout_webhook_queued_events", "app", app), func() float64 {
		q.mu.Lock()
		f := q.fns[app]
		q.mu.Unlock()
		if f == nil {
			return 0
		}
		return float64(f())
	})
}
