#!/bin/sh
# Builds the release artifacts of fanout into OUT (default out/release):
#   fanout-linux-ARCH          static binaries (CGO_ENABLED=0), version stamped
#   fanout_VERSION_ARCH.deb    Debian packages (packaging/nfpm.yaml)
#   fanout-pusher-recovery-X.tgz  the npm tarball of client/pusher-recovery
#   SHA256SUMS                 sha256sum(1) of all of the above
# Usage: packaging/release.sh [-a "amd64 arm64"] [-n] [OUT]
#   -a  the architectures (default "amd64 arm64")
#   -n  skip the npm tarball
# `make release` runs it; the packaging tests run it for the host's arch.
set -eu
cd "$(dirname "$0")/.."
arches="amd64 arm64"
npm=1
while getopts a:n opt; do
	case $opt in
	a) arches=$OPTARG ;;
	n) npm=0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
out=${1:-out/release}
GO=${GO:-go}
version=${VERSION:-$(packaging/version.sh)}
commit=${COMMIT:-$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# nfpm is pinned in packaging/tools/go.mod (a tool directive); nfpm.yaml
# names its files relative to the staging folder it runs in.
$GO -C packaging/tools build -o "$stage/nfpm" github.com/goreleaser/nfpm/v2/cmd/nfpm
cp packaging/nfpm.yaml "$stage/"
cp deploy/fanout.service "$stage/fanout.service"
cp fanout.example.yaml "$stage/fanout.yaml"
cp README.md "$stage/"
cp -r packaging/scripts "$stage/"
for arch in $arches; do
	bin="$out/fanout-linux-$arch"
	echo "build $bin ($version)"
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch $GO build -trimpath \
		-ldflags "-s -w -X main.version=$version -X main.commit=$commit" \
		-o "$bin" ./cmd/fanout
	echo "package $arch .deb"
	cp "$bin" "$stage/fanout"
	(cd "$stage" && FANOUT_VERSION=$version FANOUT_ARCH=$arch \
		./nfpm package --config nfpm.yaml --packager deb --target "$out/")
done
if [ "$npm" = 1 ]; then
	echo "npm pack client/pusher-recovery"
	npm pack --silent --pack-destination "$out" ./client/pusher-recovery >/dev/null
fi
cd "$out"
rm -f SHA256SUMS
sha256sum -- * > SHA256SUMS.tmp
mv SHA256SUMS.tmp SHA256SUMS
cat SHA256SUMS
