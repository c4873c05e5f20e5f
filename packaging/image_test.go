package packaging_test

import (
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// packaging/Containerfile builds with podman from the release binary; the
// image runs as a non-root user, documents its ports and carries a
// HEALTHCHECK that calls the binary itself. The binary taken out of the
// image (podman create + podman cp: this machine's podman builds images
// but cannot run containers) is static, reports the stamped version,
// serves, and its healthcheck subcommand answers 0 against it.
func TestContainerImageBuildsAndItsBinaryServes(t *testing.T) {
	podman := lookPath(t, "podman", "the container image test needs podman (apt-get install podman)")
	dir, version := artifacts(t)
	tag := fmt.Sprintf("localhost/fanout-test:%d", os.Getpid())
	cmd := []string{"./image.sh", "-t", tag, "-a", runtime.GOARCH, dir}
	t.Cleanup(func() { try(podman, "rmi", "--force", tag) })
	if out, err := tryEnv([]string{"IMAGE_BUILD_FLAGS=--layers=false"}, cmd...); err != nil {
		t.Fatalf("image.sh: %v\n%s", err, out)
	}

	var inspect []struct {
		Config struct {
			User         string
			ExposedPorts map[string]struct{}
			Entrypoint   []string
		}
		Healthcheck *struct{ Test []string } // podman lists it beside Config
	}
	if err := json.Unmarshal([]byte(run(t, podman, "image", "inspect", tag)), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("podman image inspect: %v", err)
	}
	cfg := inspect[0].Config
	if cfg.User == "" || cfg.User == "0" || strings.HasPrefix(cfg.User, "0:") || cfg.User == "root" {
		t.Errorf("image user %q; want a non-root user", cfg.User)
	}
	for _, p := range []string{"6001/tcp", "9601/tcp"} {
		if _, ok := cfg.ExposedPorts[p]; !ok {
			t.Errorf("image does not expose %s (have %v)", p, cfg.ExposedPorts)
		}
	}
	if hc := inspect[0].Healthcheck; hc == nil || !slices.Contains(hc.Test, "healthcheck") {
		t.Errorf("image healthcheck %+v; want the binary's healthcheck subcommand", hc)
	}

	ctr := strings.TrimSpace(run(t, podman, "create", "--no-healthcheck", tag))
	t.Cleanup(func() { try(podman, "rm", "--force", ctr) })
	bin := filepath.Join(t.TempDir(), "fanout")
	run(t, podman, "cp", ctr+":"+cfg.Entrypoint[0], bin)

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the image's binary asks for a dynamic loader; want a static binary (CGO_ENABLED=0)")
		}
	}
	f.Close()
	if out := run(t, bin, "version"); !strings.HasPrefix(out, "fanout "+version+" ") {
		t.Errorf("version of the image's binary: %q; want %s", out, version)
	}
	serveAndProbe(t, bin)
}
