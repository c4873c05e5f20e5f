package bench

import (
	"fmt"
	"strings"
	"time"
)

// field is one named value of a result; "" means it does not apply.
type field struct {
	name  string
	right bool // right-aligned (numbers)
	get   func(Result) string
}

// settingFields are the run settings, in the order they are shown. A
// setting all rows of a table share goes in its settings line, one that
// differs becomes a column.
var settingFields = []field{
	{"scenario", false, func(r Result) string { return r.Scenario }},
	{"connections", true, func(r Result) string { return intOrEmpty(r.Conns) }},
	{"channels", true, func(r Result) string {
		if r.Scenario == "churn" || r.Scenario == "storm" {
			return ""
		}
		return intOrEmpty(r.Channels)
	}},
	{"senders", true, func(r Result) string { return intOrEmpty(r.Senders) }},
	{"events/s", true, func(r Result) string {
		if r.BackToBack {
			return "back to back"
		}
		return numOrEmpty(r.Rate, 0)
	}},
	{"size", true, func(r Result) string {
		if r.Size == 0 {
			return ""
		}
		return fmt.Sprintf("%d B", r.Size)
	}},
	{"duration", false, func(r Result) string { return r.Duration }},
	{"connects/s ramp", true, func(r Result) string {
		if r.Scenario == "churn" {
			return ""
		}
		return numOrEmpty(r.ConnRate, 0)
	}},
	{"publishers", true, func(r Result) string { return intOrEmpty(r.Publishers) }},
	{"probe every", false, func(r Result) string { return r.ProbeEvery }},
	{"auth", false, func(r Result) string { return r.Auth }},
	{"server", false, func(r Result) string { return r.Server }},
	{"commit", false, func(r Result) string { return r.Commit }},
	{"date", false, func(r Result) string {
		if t, err := time.Parse(time.RFC3339, r.Date); err == nil {
			return t.UTC().Format("2006-01-02") // the day: runs of one comparison share it
		}
		return r.Date
	}},
}

// resultFields are the measured values; a column shows only when some
// row of its table has a value, so each scenario keeps its own columns.
var resultFields = []field{
	{"subscribed", true, func(r Result) string {
		if r.Scenario == "churn" {
			return ""
		}
		return fmt.Sprintf("%d", r.Subscribed)
	}},
	{"failed", true, func(r Result) string { return fmt.Sprintf("%d", r.Failed) }},
	{"connect/s", true, rampOnly(func(r Result) string { return numOrEmpty(r.ConnectRate, 0) })},
	{"all subscribed after s", true, rampOnly(func(r Result) string { return numOrEmpty(r.TimeToSubscribed, 1) })},
	{"subscribe p99 ms", true, rampOnly(func(r Result) string { return numOrEmpty(r.SubscribeP99Ms, 1) })},
	{"RSS/conn slope", true, func(r Result) string {
		if r.SlopePerConn == 0 || len(r.Measures) < 2 {
			return ""
		}
		return fmt.Sprintf("%.0f B (%d→%d)", r.SlopePerConn, r.Measures[0].N, r.Measures[len(r.Measures)-1].N)
	}},
	{"RSS/conn over base", true, rampOnly(func(r Result) string {
		if r.SlopePerConn != 0 || r.BytesPerConn == 0 {
			return ""
		}
		return fmt.Sprintf("%.0f B", r.BytesPerConn)
	})},
	{"sent ev/s", true, func(r Result) string { return numOrEmpty(r.PublishedPerSec, 0) }},
	{"client events sent", true, func(r Result) string { return intOrEmpty(int(r.ClientEventsSent)) }},
	{"refused", true, func(r Result) string {
		if r.Scenario != "storm" {
			return ""
		}
		return fmt.Sprintf("%d", r.ClientEventsRefused)
	}},
	{"delivered/s", true, func(r Result) string { return numOrEmpty(r.DeliveredPerSec, 0) }},
	{"missed", true, func(r Result) string {
		if r.Expected == 0 { // nothing was published: nothing could be missed
			return ""
		}
		return fmt.Sprintf("%d", r.Missed)
	}},
	{"p50 ms", true, latency(func(l *LatencySummary) float64 { return l.P50 })},
	{"p90 ms", true, latency(func(l *LatencySummary) float64 { return l.P90 })},
	{"p99 ms", true, latency(func(l *LatencySummary) float64 { return l.P99 })},
	{"p99.9 ms", true, latency(func(l *LatencySummary) float64 { return l.P999 })},
	{"max ms", true, latency(func(l *LatencySummary) float64 { return l.Max })},
	{"server CPU µs/delivery", true, func(r Result) string { return numOrEmpty(r.CPUPerDeliveryUs, 2) }},
	{"write syscalls/delivery", true, func(r Result) string {
		if r.ServerIOUring {
			return "n/a (io_uring)"
		}
		return numOrEmpty(r.WritesPerDelivery, 3)
	}},
	{"Redis CPU µs/publish", true, func(r Result) string { return numOrEmpty(r.RedisCPUPerPublishUs, 1) }},
	{"Redis commands/publish", true, func(r Result) string { return numOrEmpty(r.RedisCommandsPerPublish, 2) }},
	{"harness CPU µs/delivery", true, func(r Result) string { return numOrEmpty(r.HarnessCPUPerDeliveryUs, 2) }},
	{"harness / server cores", true, func(r Result) string { // the self-check's inputs
		if r.HarnessCPUSeconds == 0 {
			return ""
		}
		server := "n/a"
		if r.ServerCPUMeasured {
			server = fmt.Sprintf("%.2f", r.ServerCores)
		}
		return fmt.Sprintf("%.2f of %d / %s of %d", r.HarnessCores, r.HarnessCoresAvailable, server, r.MachineCores)
	}},
	{"new conn p50 / p99 / max ms", true, probe(func(r Result) *ProbeSummary { return r.ConnectProbe })},
	{"publish p50 / p99 / max ms", true, probe(func(r Result) *ProbeSummary { return r.PublishProbe })},
	{"probe stalls (>2 s) / failed", true, func(r Result) string {
		c, p := r.ConnectProbe, r.PublishProbe
		if c == nil || p == nil {
			return ""
		}
		return fmt.Sprintf("%d / %d", c.Stalls+p.Stalls, c.Failed+p.Failed)
	}},
	{"connects/s", true, func(r Result) string { return numOrEmpty(r.ConnectsPerSec, 0) }},
	{"disconnects/s", true, func(r Result) string { return numOrEmpty(r.DisconnectsPerSec, 0) }},
}

func latency(f func(*LatencySummary) float64) func(Result) string {
	return func(r Result) string {
		if r.Latency == nil {
			return ""
		}
		return fmt.Sprintf("%.2f", f(r.Latency))
	}
}

func probe(f func(Result) *ProbeSummary) func(Result) string {
	return func(r Result) string {
		p := f(r)
		if p == nil || p.Count == 0 {
			return ""
		}
		return fmt.Sprintf("%.1f / %.1f / %.1f", p.P50, p.P99, p.Max)
	}
}

func intOrEmpty(v int) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%d", v)
}

func numOrEmpty(v float64, prec int) string {
	if v == 0 {
		return ""
	}
	return fmt.Sprintf("%.*f", prec, v)
}

// groupByScenario splits rs by scenario in order of first appearance.
func groupByScenario(rs []Result) [][]Result {
	var groups [][]Result
	at := map[string]int{}
	for _, r := range rs {
		i, ok := at[r.Scenario]
		if !ok {
			i = len(groups)
			at[r.Scenario] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], r)
	}
	return groups
}

// splitSettings returns the settings every row shares (name=value) and
// the setting fields that differ between rows.
func splitSettings(rs []Result) (common []string, varying []field) {
	for _, f := range settingFields {
		first, same, any := f.get(rs[0]), true, false
		for _, r := range rs {
			v := f.get(r)
			same = same && v == first
			any = any || v != ""
		}
		switch {
		case !any:
		case same:
			common = append(common, f.name+" "+first)
		default:
			varying = append(varying, f)
		}
	}
	return common, varying
}

// markdownTable renders rs as one table per scenario, each under a line
// with the settings its rows share and with only the columns that apply.
func markdownTable(rs []Result) string {
	var b strings.Builder
	for gi, g := range groupByScenario(rs) {
		if gi > 0 {
			b.WriteByte('\n')
		}
		common, varying := splitSettings(g)
		fmt.Fprintf(&b, "Settings: %s\n\n", strings.Join(common, " · "))
		cols := append([]field{{"run", false, func(r Result) string { return r.Label }}}, varying...)
		for _, f := range resultFields {
			for _, r := range g {
				if f.get(r) != "" {
					cols = append(cols, f)
					break
				}
			}
		}
		head, rule := "|", "|"
		for _, c := range cols {
			head += " " + c.name + " |"
			if c.right {
				rule += "---:|"
			} else {
				rule += "---|"
			}
		}
		b.WriteString(head + "\n" + rule + "\n")
		for _, r := range g {
			b.WriteString("|")
			for _, c := range cols {
				v := c.get(r)
				if v == "" {
					v = "-"
				}
				b.WriteString(" " + v + " |")
			}
			b.WriteByte('\n')
		}
	}
	if f := failureLines(rs); f != "" {
		b.WriteString("\nFailures: " + f + "\n")
	}
	return b.String()
}

// rampOnly shows a ramp figure in the connect scenario only; the other
// scenarios ramp too, but their tables are about what follows.
func rampOnly(f func(Result) string) func(Result) string {
	return func(r Result) string {
		if r.Scenario != "connect" {
			return ""
		}
		return f(r)
	}
}
