#!/bin/sh
# fanout postrm. The fanout user and group stay after a purge, as Debian
# policy asks (files it owned elsewhere would otherwise pass to a future
# user with the same id); `userdel fanout` removes them by hand.
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null || true
fi
if [ "$1" = purge ]; then
	rmdir /etc/fanout 2>/dev/null || true
fi
exit 0
