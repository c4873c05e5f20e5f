package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// writeOut writes results.json, results.md and chart.png into dir.
func writeOut(dir string, rs []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	var data any = rs
	if len(rs) == 1 {
		data = rs[0]
	}
	b, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(markdownTable(rs)), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return writeChart(filepath.Join(dir, "chart.png"), rs)
}

// readResults reads a results.json holding one Result or a list.
func readResults(path string) ([]Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	var many []Result
	if json.Unmarshal(b, &many) == nil {
		return many, nil
	}
	var one Result
	if err := json.Unmarshal(b, &one); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	return []Result{one}, nil
}

// markdownTable renders results, one row each.
func markdownTable(rs []Result) string {
	var b strings.Builder
	b.WriteString("| run | scenario | conns | subscribed | failed | connect/s | RSS/conn (slope) | events/s target (sent) | delivered/s | missed | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | churn conn/s |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		mem := "-"
		if r.SlopePerConn != 0 {
			mem = fmt.Sprintf("%.0f B (%d→%d)", r.SlopePerConn, r.Measures[0].N, r.Measures[len(r.Measures)-1].N)
		} else if r.BytesPerConn != 0 {
			mem = fmt.Sprintf("%.0f B", r.BytesPerConn)
		}
		lat := [5]string{"-", "-", "-", "-", "-"}
		if l := r.Latency; l != nil {
			lat = [5]string{f2(l.P50), f2(l.P90), f2(l.P99), f2(l.P999), f2(l.Max)}
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.Label, r.Scenario, r.Conns, r.Subscribed, r.Failed, r.ConnectRate, mem,
			rates(r), orDash(r.DeliveredPerSec), missed(r), lat[0], lat[1], lat[2], lat[3], lat[4],
			orDash(r.ConnectsPerSec))
	}
	if f := failureLines(rs); f != "" {
		b.WriteString("\nFailures: " + f + "\n")
	}
	return b.String()
}

func rates(r Result) string {
	if r.Rate == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f (%.0f)", r.Rate, r.PublishedPerSec)
}

func f2(v float64) string { return fmt.Sprintf("%.2f", v) }

func orDash(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", v)
}

func missed(r Result) string {
	if r.Scenario != "fanout" {
		return "-"
	}
	return fmt.Sprintf("%d", r.Missed)
}

func failureLines(rs []Result) string {
	var parts []string
	for _, r := range rs {
		keys := make([]string, 0, len(r.Failures))
		for k := range r.Failures {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %s ×%d", r.Label, k, r.Failures[k]))
		}
		for k, v := range r.PublishErrors {
			parts = append(parts, fmt.Sprintf("%s: publish %s ×%d", r.Label, k, v))
		}
	}
	return strings.Join(parts, "; ")
}
