package metrics

import vm "github.com/VictoriaMetrics/metrics"

// appAPI holds an app's HTTP API series beyond fanout_publishes_total.
type appAPI struct {
	duplicates *vm.Counter
}

func (m *Metrics) newAppAPI(id string) appAPI {
	return appAPI{
		duplicates: m.set.GetOrCreateCounter(labelled("fanout_publish_duplicates_total", "app", id)),
	}
}

// PublishDuplicate counts one event of app answered 200 without being
// delivered: its idempotency key was accepted within the window
// (fanout_publish_duplicates_total).
func (m *Metrics) PublishDuplicate(app string) { m.app(app).duplicates.Inc() }
