package server

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/console"
	"github.com/fanout/fanout/pusher"
)

// consolePassword reads the console credential (console.password or the
// file of console.password_file, its trailing newline removed); "" when
// the console is off.
func consolePassword(c config.Console) (string, error) {
	if c.PasswordFile == "" {
		return c.Password, nil
	}
	b, err := os.ReadFile(c.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("console.password_file: %w", err)
	}
	pw := strings.TrimRight(string(b), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("console.password_file: %s is empty", c.PasswordFile)
	}
	return pw, nil
}

// consoleHook relays webhooks to the console's log while it is watched.
type consoleHook struct{ feed atomic.Pointer[console.Feed] }

func (h *consoleHook) webhook(app string, e pusher.WebhookEvent) {
	if f := h.feed.Load(); f != nil {
		f.Webhook(e, app)
	}
}

// mountConsole builds the console over the node and mounts it on the
// metrics listener's mux.
func (n *Node) mountConsole(mux *http.ServeMux, api http.Handler) error {
	apps := consoleApps(n.cfg.Apps)
	store, _ := n.broker.(console.ClusterStore) // the Redis broker; nil for a single node
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(n.Addr())
	c, err := console.New(console.Options{Password: n.consolePW, Node: host + ":" + port, Backend: n.Pusher, API: api,
		Apps: apps, Gather: n.Metrics.WriteSeries, Config: n.cfg.Masked().YAML(), Cluster: store,
		Logger: n.log})
	if err != nil {
		return err
	}
	n.console = c
	n.consoleHook.feed.Store(c.Feed())
	mux.Handle("/console", c.Handler())
	mux.Handle("/console/", c.Handler())
	c.Run()
	n.log.Info("console on", "url", "http://"+n.MetricsAddr()+"/console/")
	if len(n.consolePW) < minConsolePassword {
		n.log.Warn("console password shorter than 12 characters: the login is rate-limited, but use a long random one")
	}
	if host, _, _ := net.SplitHostPort(n.MetricsAddr()); !net.ParseIP(host).IsLoopback() {
		n.log.Warn("console served over plain HTTP on a non-loopback address: its password and session cross the network in clear; put it behind TLS (deploy/nginx.conf)", "addr", n.MetricsAddr())
	}
	return nil
}

// consoleApps is what the console needs of the configured apps.
func consoleApps(cfgs []config.App) []console.App {
	apps := make([]console.App, 0, len(cfgs))
	for _, a := range cfgs {
		ca := console.App{ID: a.ID, Key: a.Key, Secret: a.Secret}
		for _, h := range a.History {
			ca.History = append(ca.History, h.Channels)
		}
		apps = append(apps, ca)
	}
	return apps
}

// minConsolePassword is the length under which start-up warns.
const minConsolePassword = 12
