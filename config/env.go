package config

import (
	"fmt"
	"slices"
	"sort"
)

// nonSettingVariables are FANOUT_ variables that are not settings but are
// read by the project's own tools and tests, so a shell that exports them
// may still start a node: FANOUT_BENCH_WORKER marks a `fanout bench`
// worker process; FANOUT_HEAPPROFILE and FANOUT_IDLE_* drive the memory
// tests of the pusher package; FANOUT_CHAOS*, FANOUT_SOAK*,
// FANOUT_STORM_CLIENTS and FANOUT_DRAIN_INTERVAL drive the fault-injection
// suite (make chaos, make soak), whose nodes inherit them.
var nonSettingVariables = []string{"FANOUT_BENCH_WORKER", "FANOUT_HEAPPROFILE",
	"FANOUT_IDLE_CLIENTS", "FANOUT_IDLE_SERVER", "FANOUT_IDLE_PRESENCE",
	"FANOUT_CHAOS", "FANOUT_CHAOS_LOGS", "FANOUT_SOAK", "FANOUT_SOAK_DURATION",
	"FANOUT_SOAK_SAMPLE", "FANOUT_SOAK_WORKERS", "FANOUT_STORM_CLIENTS",
	"FANOUT_DRAIN_INTERVAL"}

// unknownVariable returns a ConfigError for the first (in name order)
// FANOUT_ variable of envs that names no setting, the way an unknown YAML
// key is refused: a misspelt variable must not be ignored silently.
func unknownVariable(envs map[string]string) error {
	known := []string{"FANOUT_CONFIG"}
	for _, s := range settings() {
		known = append(known, envName(s.flag))
	}
	names := make([]string, 0, len(envs))
	for k := range envs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if slices.Contains(known, k) || slices.Contains(nonSettingVariables, k) {
			continue
		}
		problem := "names no setting"
		if near := nearest(k, known); near != "" {
			problem += fmt.Sprintf(" (did you mean %s?)", near)
		}
		return ConfigError{Key: k, Problem: problem + "; see fanout serve --help"}
	}
	return nil
}

// nearest is the candidate within two single-character edits of s, or "".
func nearest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
