// Package metrics owns fanout's Prometheus exposition: one
// [github.com/VictoriaMetrics/metrics.Set] per [Metrics] value, typed
// methods the server calls on its hot paths, and an [http.Handler] that
// serves the set together with Go runtime and process metrics.
//
// Every metric name starts with "fanout_". docs/metrics.md lists them all.
//
// Methods on the hot path (messages and bytes in and out, connections
// opened and closed, upgrades rejected, publishes, channels) do not
// allocate once the label value has been seen: counters are cached per
// label value (close codes in a fixed array, app ids and broker ops in a
// map read under an RWMutex) and looked up without building a string.
//
// # Concurrency
//
// A *Metrics is safe for use by any number of goroutines at once: every
// method may be called from event loops, pool workers and HTTP handlers
// concurrently. Counters and gauges are updated atomically; label caches
// take a read lock on the fast path and a write lock only the first time
// a label value appears. Nothing needs closing; the handler holds no
// state of its own between scrapes.
package metrics
