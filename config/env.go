package config

import (
	"fmt"
	"regexp"
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

// serviceLinkRE matches the variables that Kubernetes writes into every
// pod of a namespace holding a Service named "fanout", and that Docker's
// legacy container links write for a linked container named "fanout":
// FANOUT_SERVICE_HOST, FANOUT_SERVICE_PORT, FANOUT_SERVICE_PORT_<NAME>,
// FANOUT_PORT_<n>_<PROTO> and its _ADDR, _PORT and _PROTO, FANOUT_NAME and
// FANOUT_ENV_<VAR> (https://kubernetes.io/docs/concepts/services-networking/service/#environment-variables,
// https://docs.docker.com/network/links/#environment-variables).
// FANOUT_PORT itself is matched by its value (serviceURLRE).
var serviceLinkRE = regexp.MustCompile(`^FANOUT_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT_[0-9]+_(TCP|UDP|SCTP)(_ADDR|_PORT|_PROTO)?|NAME|ENV_[A-Za-z0-9_]+)$`)

// serviceURLRE is FANOUT_PORT's value as Kubernetes and Docker write it,
// e.g. tcp://10.96.0.11:6001; another value (a port number someone meant
// as a setting) is refused like any unknown variable.
var serviceURLRE = regexp.MustCompile(`^(tcp|udp|sctp)://[^/]+:[0-9]+$`)

// serviceLink reports whether the variable k=v is one Kubernetes or
// Docker links set, not a setting.
func serviceLink(k, v string) bool {
	if k == "FANOUT_PORT" {
		return serviceURLRE.MatchString(v)
	}
	return serviceLinkRE.MatchString(k)
}

// checkVariables returns a ConfigError for the first (in name order)
// FANOUT_ variable of envs that names no setting, the way an unknown YAML
// key is refused: a misspelt variable must not be ignored silently.
// appVars are the FANOUT_APP_<ID>_SECRET names of the configured apps
// and the variables the file references as ${NAME}.
// The variables Kubernetes and Docker links set are returned, sorted,
// as ignored.
func checkVariables(envs map[string]string, appVars []string) (ignored []string, err error) {
	known := []string{"FANOUT_CONFIG"}
	for _, s := range settings() {
		known = append(known, envName(s.flag))
	}
	known = append(known, appVars...)
	names := make([]string, 0, len(envs))
	for k := range envs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if slices.Contains(known, k) || slices.Contains(nonSettingVariables, k) {
			continue
		}
		if serviceLink(k, envs[k]) {
			ignored = append(ignored, k)
			continue
		}
		problem := "names no setting"
		if near := nearest(k, known); near != "" {
			problem += fmt.Sprintf(" (did you mean %s?)", near)
		}
		return nil, ConfigError{Key: k, Problem: problem + "; see fanout serve --help"}
	}
	return ignored, nil
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
