package main

import (
	"log/slog"
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/server"
)

// reloadApps answers SIGHUP (or a change of the watched config file; why
// says which, for the log) for the apps: the configuration is loaded
// again as at start (the same flags, the file and the environment as
// they are now, then the app store) and its apps replace the running
// ones without dropping a connection of an app that stays
// (server.Node.ReloadApps). A bad configuration is logged and the running
// one stays. Settings that only a restart applies are logged as such.
// It returns the configuration that now runs and the one loaded (before
// the app store's apps were added), or running and file unchanged.
func reloadApps(node *server.Node, log *slog.Logger, running, file config.Config, args []string, src appSource, why string) (config.Config, config.Config) {
	loaded, err := config.Load("", os.Environ(), args)
	if err == nil {
		var next config.Config
		if next, err = src.merge(loaded); err == nil {
			return applyApps(node, log, running, next, why), loaded
		}
	}
	log.Error(why+": configuration not reloaded, the running apps stay", "err", err)
	return running, file
}

// applyApps hands next's apps to the node (why names the cause in the
// log) and returns the configuration that now runs.
func applyApps(node *server.Node, log *slog.Logger, running, next config.Config, why string) config.Config {
	for _, key := range restartOnly(running, next) {
		log.Warn(why+": setting changed; it takes effect after a restart", "key", key)
	}
	ch, err := node.ReloadApps(next.Apps, next.Reload.SecretGrace)
	if err != nil {
		log.Error(why+": apps not reloaded, the running apps stay", "err", err)
		return running
	}
	log.Info(why+": apps reloaded", "apps", len(next.Apps), "added", strings.Join(ch.Added, ","),
		"removed", strings.Join(ch.Removed, ","), "rekeyed", strings.Join(ch.Rekeyed, ","),
		"rotated", strings.Join(ch.Rotated, ","), "disabled", strings.Join(ch.Disabled, ","),
		"secret_grace", next.Reload.SecretGrace, "closed", ch.Closed)
	for _, n := range ch.Notes {
		log.Warn(why + ": " + n)
	}
	for _, w := range next.Warnings() {
		log.Warn("weak secret: " + w)
	}
	running.Apps, running.Reload = next.Apps, next.Reload
	return running
}

// liveKeys are the settings a reload applies.
var liveKeys = []string{"apps", "reload.secret_grace"}

// restartOnly lists the YAML keys other than liveKeys whose values differ
// between a and b: the listeners, limits, timers, broker, app store and
// file watch are set up once at start. The TLS files are read again on
// reload, but a new path needs a restart too.
func restartOnly(a, b config.Config) []string {
	var out []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		tag := va.Type().Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		out = diffKeys(out, tag, va.Field(i), vb.Field(i))
	}
	return out
}

func diffKeys(out []string, path string, a, b reflect.Value) []string {
	if slices.Contains(liveKeys, path) {
		return out
	}
	if a.Kind() != reflect.Struct {
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			out = append(out, path)
		}
		return out
	}
	for i := range a.NumField() {
		tag := a.Type().Field(i).Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		out = diffKeys(out, path+"."+tag, a.Field(i), b.Field(i))
	}
	return out
}
