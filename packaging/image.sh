#!/bin/sh
# Builds the fanout container image (packaging/Containerfile) from the
# static binaries in RELEASE (default out/release, `make release`).
# Usage: packaging/image.sh [-t TAG] [-a ARCH] [RELEASE]
#   -t  the image name (default fanout:VERSION, with "+" made "_")
#   -a  the architecture (default the host's, from `go env GOARCH`)
# IMAGE_TOOL=docker uses docker instead of podman; IMAGE_BUILD_FLAGS adds
# flags to its build command (e.g. --layers=false).
set -eu
cd "$(dirname "$0")/.."
tool=${IMAGE_TOOL:-podman}
tag=""
arch=""
while getopts t:a: opt; do
	case $opt in
	t) tag=$OPTARG ;;
	a) arch=$OPTARG ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
release=${1:-out/release}
arch=${arch:-$(${GO:-go} env GOARCH)}
if [ -z "$tag" ]; then
	tag="fanout:$(packaging/version.sh | tr + _)"
fi
bin="$release/fanout-linux-$arch"
[ -f "$bin" ] || { echo "image.sh: $bin is missing: run make release first" >&2; exit 1; }
ca=/etc/ssl/certs/ca-certificates.crt
[ -f "$ca" ] || { echo "image.sh: $ca is missing: install the ca-certificates package" >&2; exit 1; }
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$bin" "$ctx/"
cp "$ca" "$ctx/ca-certificates.crt"
set -- build --platform "linux/$arch" -t "$tag" -f "$PWD/packaging/Containerfile"
# Podman writes OCI images by default, a format without HEALTHCHECK.
[ "$tool" = podman ] && set -- "$@" --format docker
# shellcheck disable=SC2086 # IMAGE_BUILD_FLAGS is a list of flags
"$tool" "$@" ${IMAGE_BUILD_FLAGS:-} "$ctx"
echo "built $tag"
