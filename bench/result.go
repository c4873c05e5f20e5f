package bench

// Result is one run's outcome, as written to results.json.
type Result struct {
	Label    string `json:"label"`
	Scenario string `json:"scenario"`
	Conns    int    `json:"conns"`
	Channels int    `json:"channels"`
	Workers  int    `json:"workers"`
	Duration string `json:"duration"`

	// Run settings beyond the above, so a result file stands alone.
	Server     string  `json:"server,omitempty"`       // --url values, comma-separated
	Commit     string  `json:"commit,omitempty"`       // VCS revision of the harness build, else git describe of the working directory
	Date       string  `json:"date,omitempty"`         // UTC start, RFC 3339
	ConnRate   float64 `json:"conn_rate,omitempty"`    // --conn-rate, connects/s
	Publishers int     `json:"publishers,omitempty"`   // --publishers (fanout, storm probe)
	BackToBack bool    `json:"back_to_back,omitempty"` // --back-to-back: unpaced publishers
	Auth       string  `json:"auth,omitempty"`         // how connections authenticate, "" for none
	Senders    int     `json:"senders,omitempty"`      // storm: connections sending client events
	ProbeEvery string  `json:"probe_every,omitempty"`

	Subscribed       uint64         `json:"subscribed"`
	Failed           uint64         `json:"failed"`
	Failures         map[string]int `json:"failures,omitempty"`
	ConnectRate      float64        `json:"connect_rate"`         // subscribed/s during the ramp
	TimeToSubscribed float64        `json:"time_to_subscribed_s"` // ramp start → all subscribed
	SubscribeP99Ms   float64        `json:"subscribe_p99_ms"`     // dial → subscribed

	RSSBase      int64        `json:"rss_base_bytes,omitempty"`
	RSSFull      int64        `json:"rss_full_bytes,omitempty"`
	BytesPerConn float64      `json:"bytes_per_conn,omitempty"` // (RSSFull-RSSBase)/Conns
	Measures     []RSSMeasure `json:"measures,omitempty"`
	SlopePerConn float64      `json:"slope_bytes_per_conn,omitempty"` // between the first and last measure

	Rate            float64         `json:"rate,omitempty"`
	Size            int             `json:"size,omitempty"`
	Published       uint64          `json:"published,omitempty"`
	PublishedPerSec float64         `json:"published_per_s,omitempty"` // achieved publish rate
	PublishFailed   uint64          `json:"publish_failed,omitempty"`
	PublishErrors   map[string]int  `json:"publish_errors,omitempty"`
	Expected        uint64          `json:"expected,omitempty"`
	Delivered       uint64          `json:"delivered,omitempty"`
	Missed          int64           `json:"missed,omitempty"`
	DeliveredPerSec float64         `json:"delivered_per_s,omitempty"`
	Latency         *LatencySummary `json:"latency_ms,omitempty"`

	// Server cost over the publish window (from /proc of --server-pid).
	// ServerCPUMeasured says it was read (a --server-pid given and
	// readable at both ends), since 0 CPU seconds is a real figure.
	ServerCPUMeasured bool    `json:"server_cpu_measured,omitempty"`
	ServerCPUSeconds  float64 `json:"server_cpu_s,omitempty"`               // utime+stime delta
	ServerCores       float64 `json:"server_cores,omitempty"`               // CPU seconds per wall second
	ServerWrites      uint64  `json:"server_write_syscalls,omitempty"`      // syscw delta
	CPUPerDeliveryUs  float64 `json:"server_cpu_us_per_delivery,omitempty"` // µs
	WritesPerDelivery float64 `json:"server_writes_per_delivery,omitempty"` // 0 with ServerIOUring
	// ServerIOUring: the server held an io_uring, whose sends syscw does
	// not count; WritesPerDelivery is then left out (perf stat on the
	// syscalls:sys_enter_io_uring_enter tracepoint counts them).
	ServerIOUring bool `json:"server_io_uring,omitempty"`

	// Redis's CPU and commands over the publish window (INFO cpu and
	// commandstats of --redis-addr; commands a script runs count too).
	RedisCPUSeconds         float64            `json:"redis_cpu_s,omitempty"`
	RedisCPUPerPublishUs    float64            `json:"redis_cpu_us_per_publish,omitempty"`
	RedisCommandsPerPublish float64            `json:"redis_commands_per_publish,omitempty"`
	RedisCommands           map[string]float64 `json:"redis_commands_by_name_per_publish,omitempty"`

	// The harness's own cost over the same window (its worker
	// processes, from /proc), for the self-check in HarnessCheck.
	HarnessCPUSeconds       float64 `json:"harness_cpu_s,omitempty"`
	HarnessCPUPerDeliveryUs float64 `json:"harness_cpu_us_per_delivery,omitempty"`
	HarnessCores            float64 `json:"harness_cores,omitempty"` // CPU seconds per wall second
	// Cores as the workers' and the server's CPU affinity masks allow
	// (coreScope): the workers' own (capped at Workers × GOMAXPROCS),
	// the union of both masks, and the CPUs in both (0 when the server
	// was not measured or the two are pinned apart).
	HarnessCoresAvailable int `json:"harness_cores_available,omitempty"`
	MachineCores          int `json:"machine_cores,omitempty"`
	SharedCores           int `json:"shared_cores,omitempty"`

	// Storm: client events among the subscribers and the watcher's probes.
	ClientEventsSent    uint64         `json:"client_events_sent,omitempty"`
	ClientEventsRefused uint64         `json:"client_events_refused,omitempty"` // pusher:error answers
	ConnectProbe        *ProbeSummary  `json:"connect_probe_ms,omitempty"`
	PublishProbe        *ProbeSummary  `json:"publish_probe_ms,omitempty"`
	ProbeFailures       map[string]int `json:"probe_failures,omitempty"`

	Connects          uint64  `json:"connects,omitempty"`
	Disconnects       uint64  `json:"disconnects,omitempty"`
	ConnectsPerSec    float64 `json:"connects_per_s,omitempty"`
	DisconnectsPerSec float64 `json:"disconnects_per_s,omitempty"`
}

// ProbeSummary is what a watcher saw of one kind of probe, in ms.
type ProbeSummary struct {
	Count  int     `json:"count"`
	Failed int     `json:"failed"` // no answer within the probe timeout
	Stalls int     `json:"stalls"` // answered after more than StallAfter, or failed
	P50    float64 `json:"p50"`
	P99    float64 `json:"p99"`
	Max    float64 `json:"max"`
}

// RSSMeasure is the server's RSS with N connections held.
type RSSMeasure struct {
	N   int   `json:"n"`
	RSS int64 `json:"rss_bytes"`
}

// LatencySummary holds delivery latency percentiles in milliseconds.
type LatencySummary struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func summarize(h *Histogram) *LatencySummary {
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	return &LatencySummary{P50: ms(h.Quantile(0.5)), P90: ms(h.Quantile(0.9)),
		P99: ms(h.Quantile(0.99)), P999: ms(h.Quantile(0.999)), Max: ms(h.Max), Mean: h.Mean() / 1e6}
}

// slope fills SlopePerConn from the first and last measure.
func (r *Result) slope() {
	if len(r.Measures) < 2 {
		return
	}
	a, b := r.Measures[0], r.Measures[len(r.Measures)-1]
	if b.N > a.N {
		r.SlopePerConn = float64(b.RSS-a.RSS) / float64(b.N-a.N)
	}
}
