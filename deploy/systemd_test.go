// Tests of the systemd unit shipped in this folder: its restart policy
// (systemd.service(5), systemd.unit(5)) and, where systemd-analyze is
// installed, that systemd itself loads it.
package deploy_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// unit is a parsed unit file: section → key → values in file order.
type unit map[string]map[string][]string

// readUnit parses the unit file syntax of systemd.syntax(7): [Section]
// headers, Key=Value lines, '#' and ';' comments. Line continuations are
// not used by the shipped unit and are refused.
func readUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case strings.HasSuffix(line, "\\"):
			t.Fatalf("%s:%d: continuation lines are not supported here", path, n)
		case line[0] == '[' && line[len(line)-1] == ']':
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not Key=Value in a section: %q", path, n, line)
			}
			k = strings.TrimSpace(k)
			u[section][k] = append(u[section][k], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

// one is the single value of key in section.
func (u unit) one(t *testing.T, section, key string) string {
	t.Helper()
	v := u[section][key]
	if len(v) != 1 {
		t.Fatalf("[%s] %s: %q, want exactly one value", section, key, v)
	}
	return v[0]
}

// seconds reads a systemd time span given in plain seconds or with an
// "s", "min" or "ms" unit (the forms this unit uses).
func seconds(t *testing.T, v string) time.Duration {
	t.Helper()
	v = strings.Replace(v, "min", "m", 1)
	if n, err := strconv.Atoi(v); err == nil {
		return time.Duration(n) * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("time span %q: %v", v, err)
	}
	return d
}

// A config error exits 2 and must not be restarted (it cannot heal); a
// runtime failure (exit 1, e.g. Redis Cluster unreachable at start) must be
// restarted for as long as it lasts, so the start rate limit
// (StartLimitBurst starts within StartLimitIntervalSec, default 5 in 10 s)
// must be out of reach at the configured RestartSec.
func TestUnitRestartPolicy(t *testing.T) {
	u := readUnit(t, "fanout.service")
	if got := u.one(t, "Service", "Restart"); got != "on-failure" && got != "always" {
		t.Fatalf("Restart=%s: exit 1 would not be retried", got)
	}
	prevented := false
	for _, v := range u["Service"]["RestartPreventExitStatus"] {
		for _, f := range strings.Fields(v) {
			prevented = prevented || f == "2"
		}
	}
	if !prevented {
		t.Fatal("RestartPreventExitStatus does not list 2: a config error restarts forever")
	}
	for _, k := range []string{"StartLimitIntervalSec", "StartLimitBurst"} {
		if _, ok := u["Service"][k]; ok {
			t.Fatalf("%s belongs in [Unit] (systemd.unit(5)); in [Service] it is ignored", k)
		}
	}
	restart := seconds(t, u.one(t, "Service", "RestartSec"))
	interval := seconds(t, u.one(t, "Unit", "StartLimitIntervalSec"))
	burst, err := strconv.Atoi(u.one(t, "Unit", "StartLimitBurst"))
	if err != nil {
		t.Fatal(err)
	}
	if interval == 0 {
		return // rate limiting off: retried forever
	}
	if restart <= 0 {
		t.Fatalf("RestartSec=%v: restarts back to back", restart)
	}
	// A start that fails at once still waits RestartSec before the next:
	// at most interval/restart + 1 starts fit in one interval.
	if most := int(interval/restart) + 1; most >= burst {
		t.Fatalf("%d starts fit in StartLimitIntervalSec=%v at RestartSec=%v, limit %d: a long Redis outage stops the unit for good",
			most, interval, restart, burst)
	}
}

// systemd-analyze verify loads the unit as systemd would and reports
// unknown keys, keys in the wrong section and bad values. It checks that
// ExecStart names an executable, so the copy points at /bin/true.
func TestUnitVerifies(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (apt-get install systemd)")
	}
	b, err := os.ReadFile("fanout.service")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(b), "ExecStart=/usr/bin/fanout ", "ExecStart=/bin/true ", 1)
	path := filepath.Join(t.TempDir(), "fanout.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sa, "verify", path).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}
