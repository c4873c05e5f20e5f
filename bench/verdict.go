package bench

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrNoSubscribers is returned when a scenario that publishes found no
// subscribed connection after its ramp: publishing would measure nothing.
var ErrNoSubscribers = errors.New("bench: no connection subscribed; nothing published")

// IncompleteError says a run finished but did not do what it was asked:
// connections failed, deliveries were missed or publishes were refused.
// `fanout bench` exits 1 with it.
type IncompleteError struct {
	Scenario      string
	Conns         int
	Failed        uint64
	Failures      map[string]int // reason → count
	Missed        int64
	PublishFailed uint64
	PublishErrors map[string]int // reason → count
	ProbeStalls   int            // storm: watcher probes slower than StallAfter or failed
	ProbeFailures map[string]int // reason → count
}

func (e *IncompleteError) Error() string {
	var parts []string
	if e.Failed > 0 {
		what := fmt.Sprintf("%d of %d connections failed", e.Failed, e.Conns)
		if e.Scenario == "churn" {
			what = fmt.Sprintf("%d connection attempts failed", e.Failed)
		}
		parts = append(parts, what+reasons(e.Failures))
	}
	if e.Missed > 0 {
		parts = append(parts, fmt.Sprintf("%d deliveries missed", e.Missed))
	}
	if e.PublishFailed > 0 {
		parts = append(parts, fmt.Sprintf("%d publishes failed%s", e.PublishFailed, reasons(e.PublishErrors)))
	}
	if e.ProbeStalls > 0 {
		parts = append(parts, fmt.Sprintf("%d watcher probes stalled (over %s or no answer)%s", e.ProbeStalls, StallAfter, reasons(e.ProbeFailures)))
	}
	return "bench: " + strings.Join(parts, "; ")
}

// reasons renders " (reason ×n, ...)", the most frequent first.
func reasons(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for i, k := range keys {
		keys[i] = fmt.Sprintf("%s ×%d", k, m[k])
	}
	return " (" + strings.Join(keys, ", ") + ")"
}

// Check returns an *IncompleteError when r has any failed connection,
// missed delivery, failed publish or stalled watcher probe, else nil.
func (r *Result) Check() error {
	stalls := 0
	for _, p := range []*ProbeSummary{r.ConnectProbe, r.PublishProbe} {
		if p != nil {
			stalls += p.Stalls
		}
	}
	if r.Failed == 0 && r.Missed <= 0 && r.PublishFailed == 0 && stalls == 0 {
		return nil
	}
	return &IncompleteError{Scenario: r.Scenario, Conns: r.Conns, Failed: r.Failed, Failures: r.Failures,
		Missed: max(r.Missed, 0), PublishFailed: r.PublishFailed, PublishErrors: r.PublishErrors,
		ProbeStalls: stalls, ProbeFailures: r.ProbeFailures}
}
