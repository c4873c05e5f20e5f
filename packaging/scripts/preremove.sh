#!/bin/sh
# fanout prerm: stop the node (it drains on SIGTERM) before its files go.
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	systemctl disable --now fanout.service >/dev/null 2>&1 || true
fi
exit 0
