package packaging_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// version.sh in a scratch repository: an untagged commit builds as a
// pre-release of the VERSION file's release, the tagged commit as the
// release itself (+dirty with changes), and commits after a tag as a
// pre-release of the next patch when VERSION was not bumped, of VERSION
// when it was, so builds always sort after the release before them.
func TestVersionScheme(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	script, err := os.ReadFile("version.sh")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "packaging"), 0o755)
	os.WriteFile(filepath.Join(dir, "packaging", "version.sh"), script, 0o755)
	os.WriteFile(filepath.Join(dir, "VERSION"), []byte("1.4.0\n"), 0o644)
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.email=t@localhost", "-c", "user.name=t",
			"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	version := func() string {
		t.Helper()
		out, err := exec.Command(filepath.Join(dir, "packaging", "version.sh")).Output()
		if err != nil {
			t.Fatalf("version.sh: %v", err)
		}
		return strings.TrimSpace(string(out))
	}
	expect := func(pattern string) {
		t.Helper()
		if v := version(); !regexp.MustCompile(`^` + pattern + `$`).MatchString(v) {
			t.Errorf("version %q, want %s", v, pattern)
		}
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "one")
	expect(`1\.4\.0-dev\.1\+g[0-9a-f]{7}`)
	git("tag", "v1.4.0")
	expect(`1\.4\.0`)
	os.WriteFile(filepath.Join(dir, "VERSION"), []byte("1.4.0\n\n"), 0o644)
	expect(`1\.4\.0\+dirty`)
	git("commit", "-q", "-am", "two")
	expect(`1\.4\.1-dev\.1\+g[0-9a-f]{7}`)
	os.WriteFile(filepath.Join(dir, "VERSION"), []byte("1.5.0\n"), 0o644)
	git("commit", "-q", "-am", "three")
	expect(`1\.5\.0-dev\.2\+g[0-9a-f]{7}`)
	os.WriteFile(filepath.Join(dir, "x"), []byte("x"), 0o644)
	git("add", "x")
	expect(`1\.5\.0-dev\.2\+g[0-9a-f]{7}\.dirty`)
}
