#!/bin/sh
# Prints the version `make build` and `make release` stamp into fanout, in
# Semantic Versioning 2.0.0 form (https://semver.org):
#   - HEAD tagged vX.Y.Z          -> X.Y.Z (a release)
#   - any other commit            -> X.Y.Z-dev.N+gHASH, where X.Y.Z is the
#     VERSION file (the release being prepared) and N counts the commits
#     since the newest v* tag (or since the start), so builds sort in order
#     (X.Y.Z+1 if VERSION still names the newest tag's release)
#   - uncommitted changes         -> ".dirty" appended to the build metadata
#   - no git at all               -> the VERSION file, "-dev"
# Releasing: set VERSION to X.Y.Z, commit, `git tag vX.Y.Z`, `make release`;
# then set VERSION to the next planned release.
set -eu
cd "$(dirname "$0")/.."
base=$(tr -d ' \n' < VERSION)
if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo "$base-dev"
	exit 0
fi
dirty=""
git diff --quiet HEAD -- 2>/dev/null || dirty=".dirty"
if tag=$(git describe --tags --exact-match --match 'v[0-9]*' HEAD 2>/dev/null); then
	v=${tag#v}
	[ -z "$dirty" ] && echo "$v" || echo "$v+dirty"
	exit 0
fi
if last=$(git describe --tags --abbrev=0 --match 'v[0-9]*' HEAD 2>/dev/null); then
	n=$(git rev-list --count "$last..HEAD")
	# VERSION not bumped since that release: build as the next patch, so
	# that these builds sort after the release, not before it.
	if [ "${last#v}" = "$base" ]; then
		base=$(echo "$base" | awk -F. '{ printf "%d.%d.%d", $1, $2, $3 + 1 }')
	fi
else
	n=$(git rev-list --count HEAD)
fi
echo "$base-dev.$n+g$(git rev-parse --short=7 HEAD)$dirty"
