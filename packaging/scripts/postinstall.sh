#!/bin/sh
# fanout postinst: the system user the unit runs as, the config readable
# by that user only, and systemd told about the unit. The service is not
# enabled or started: set the apps' secrets in /etc/fanout/fanout.yaml
# first, then `systemctl enable --now fanout`.
set -e
if ! getent group fanout >/dev/null; then
	groupadd --system fanout
fi
if ! getent passwd fanout >/dev/null; then
	useradd --system --gid fanout --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin --comment "fanout WebSocket server" fanout
fi
chown root:fanout /etc/fanout /etc/fanout/fanout.yaml
chmod 0750 /etc/fanout
chmod 0640 /etc/fanout/fanout.yaml
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
	# An upgrade restarts a running node (it drains on SIGTERM).
	if [ "$1" = configure ] && [ -n "$2" ]; then
		systemctl try-restart fanout.service >/dev/null || true
	fi
fi
exit 0
