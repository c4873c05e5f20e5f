package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unitPath = "/usr/lib/systemd/system/fanout.service"

// The .deb of `make release` installs with dpkg -i on this machine: the
// binary runs and reports the stamped version, the config is a conffile
// readable by the fanout system user the package created, systemd
// accepts the installed unit, and fanout reads the installed config as
// that user. dpkg --purge then leaves nothing behind (the test also
// removes the fanout user and group when it was the one to create them).
func TestDebInstallsAndPurges(t *testing.T) {
	dpkg := lookPath(t, "dpkg", "the .deb install test needs a Debian system (apt-get install dpkg)")
	if os.Geteuid() != 0 {
		t.Skip("dpkg -i needs root; run as root to test the .deb")
	}
	if out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", "fanout").Output(); err == nil && strings.Contains(string(out), "installed") {
		t.Skipf("a fanout package is installed here already (%s); this test would replace it", out)
	}
	dir, version := artifacts(t)
	debs, _ := filepath.Glob(filepath.Join(dir, "fanout_*.deb"))
	if len(debs) != 1 {
		t.Fatalf("want one .deb in %s, have %v", dir, debs)
	}
	_, userErr := exec.Command("getent", "passwd", "fanout").Output()
	userExisted := userErr == nil
	_, groupErr := exec.Command("getent", "group", "fanout").Output()
	groupExisted := groupErr == nil

	t.Cleanup(func() {
		if out, err := try(dpkg, "--purge", "fanout"); err != nil {
			t.Errorf("dpkg --purge fanout: %v\n%s", err, out)
		}
		if !userExisted {
			try("userdel", "fanout")
		}
		if !groupExisted {
			if _, err := exec.Command("getent", "group", "fanout").Output(); err == nil {
				try("groupdel", "fanout")
			}
		}
		for _, p := range []string{"/usr/bin/fanout", unitPath, "/etc/fanout"} {
			if _, err := os.Stat(p); err == nil {
				t.Errorf("%s is still there after dpkg --purge", p)
			}
		}
	})
	run(t, dpkg, "-i", debs[0])

	out := run(t, "/usr/bin/fanout", "version")
	if !strings.HasPrefix(out, "fanout "+version+" (commit ") || !strings.Contains(out, "go1.") {
		t.Errorf("installed fanout version: %q; want version %s, a commit and the Go version", out, version)
	}
	if conf := run(t, "dpkg-query", "-W", "-f=${Conffiles}", "fanout"); !strings.Contains(conf, "/etc/fanout/fanout.yaml") {
		t.Errorf("conffiles of the package: %q; want /etc/fanout/fanout.yaml", conf)
	}
	if user := run(t, "getent", "passwd", "fanout"); !strings.Contains(user, "nologin") {
		t.Errorf("fanout user: %q; want a system user without a login shell", user)
	}
	if st := run(t, "stat", "-c", "%a %U:%G", "/etc/fanout/fanout.yaml"); strings.TrimSpace(st) != "640 root:fanout" {
		t.Errorf("/etc/fanout/fanout.yaml: %q; want 640 root:fanout", st)
	}
	// The node as the unit runs it, reading the installed config.
	if out, err := try("runuser", "-u", "fanout", "--", "/usr/bin/fanout", "serve",
		"--config", "/etc/fanout/fanout.yaml", "--print-config"); err != nil || !strings.Contains(out, "addr:") {
		t.Errorf("fanout serve --print-config as user fanout: %v\n%s", err, out)
	}
	if sa, err := exec.LookPath("systemd-analyze"); err == nil {
		if out, err := try(sa, "verify", unitPath); err != nil {
			t.Errorf("systemd-analyze verify %s: %v\n%s", unitPath, err, out)
		}
	} else {
		t.Log("systemd-analyze is not installed (apt-get install systemd): unit not verified")
	}
}
