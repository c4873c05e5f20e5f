package deploy_test

import (
	"os/exec"
	"testing"
)

// promtool is the Prometheus project's rule checker, from Debian's
// prometheus package.
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool is not installed (apt-get install prometheus); alert rules not checked")
	}
	return p
}

// The alert rules load in Prometheus and pass their unit tests
// (prometheus/fanout-rules_test.yml: each alert fires on the series that
// should raise it, with its labels and text, and stays silent on a
// healthy node and before its "for" has passed).
func TestAlertRules(t *testing.T) {
	pt := promtool(t)
	for _, args := range [][]string{
		{"check", "rules", "prometheus/fanout-rules.yml"},
		{"test", "rules", "prometheus/fanout-rules_test.yml"},
	} {
		if out, err := exec.Command(pt, args...).CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
