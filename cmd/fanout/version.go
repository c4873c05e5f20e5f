package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version and commit are stamped at build time by `make build` and `make
// release` (-ldflags "-X main.version=... -X main.commit=..."; see
// packaging/version.sh for the scheme: the tag vX.Y.Z gives X.Y.Z, an
// untagged commit X.Y.Z-dev.N+gHASH with X.Y.Z from the VERSION file).
// A plain `go build` leaves them empty; versionInfo then falls back to
// what the Go toolchain recorded in the binary.
var (
	version = ""
	commit  = ""
)

// versionInfo returns the version and the commit of this binary. Without
// stamps it takes the module version (set by `go install ...@vX.Y.Z`) and
// the VCS revision the toolchain recorded, with "+dirty" when the work
// tree had changes; "dev" and "unknown" when neither is known.
func versionInfo() (v, c string) {
	v, c = version, commit
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = &debug.BuildInfo{}
	}
	if v == "" {
		v = "dev"
		if mv := info.Main.Version; mv != "" && mv != "(devel)" {
			v = mv
		}
	}
	if c == "" {
		dirty := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				c = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if c != "" && dirty {
			c += "+dirty"
		}
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

// printVersion writes one line: version, commit, Go version and platform,
// e.g. "fanout 0.1.0 (commit 1a2b3c4, go1.26.8, linux/amd64)".
func printVersion(w io.Writer) {
	v, c := versionInfo()
	fmt.Fprintf(w, "fanout %s (commit %s, %s, %s/%s)\n", v, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
