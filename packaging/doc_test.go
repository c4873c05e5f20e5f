// Package packaging_test checks the release artifacts that `make release`
// and `make image` build (packaging/release.sh, packaging/image.sh) on
// this machine: the Debian package installs, runs and removes cleanly
// with dpkg, and the container image builds with podman and holds a
// static binary that serves. Each test skips, saying what is missing,
// where dpkg (or root) or podman is absent.
package packaging_test
