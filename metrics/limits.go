package metrics

import vm "github.com/VictoriaMetrics/metrics"

// appLimits holds an app's series of the per-client limits.
type appLimits struct {
	throttled *vm.Counter
}

func (m *Metrics) newAppLimits(id string) appLimits {
	return appLimits{throttled: m.set.GetOrCreateCounter(labelled("fanout_http_api_throttled_total", "app", id))}
}

// APIThrottled counts one HTTP API request of app answered 429 because
// the app was over its request rate (fanout_http_api_throttled_total).
func (m *Metrics) APIThrottled(app string) { m.app(app).throttled.Inc() }
