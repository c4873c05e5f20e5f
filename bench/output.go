package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// writeOut writes results.json, results.md and chart.png into dir.
func writeOut(dir string, rs []Result) error {
	if err := writeText(dir, rs); err != nil {
		return err
	}
	return writeChart(filepath.Join(dir, "chart.png"), rs)
}

// writeText writes results.json and results.md into dir.
func writeText(dir string, rs []Result) error {
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
	return nil
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

func failureLines(rs []Result) string {
	var parts []string
	for _, r := range rs {
		if len(r.Failures) > 0 {
			parts = append(parts, r.Label+": connections"+reasons(r.Failures))
		}
		if len(r.PublishErrors) > 0 {
			parts = append(parts, r.Label+": publishes"+reasons(r.PublishErrors))
		}
		if len(r.ProbeFailures) > 0 {
			parts = append(parts, r.Label+": watcher probes"+reasons(r.ProbeFailures))
		}
	}
	return strings.Join(parts, "; ")
}
