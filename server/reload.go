package server

import (
	"context"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/pusher"
)

// buildApps builds every configured app; prev are the running ones by id
// (nil at start). On an error, what was built is closed again.
func (n *Node) buildApps(cfgs []config.App, prev map[string]*builtApp) ([]*pusher.App, []*builtApp, error) {
	apps := make([]*pusher.App, 0, len(cfgs))
	built := make([]*builtApp, 0, len(cfgs))
	for _, c := range cfgs {
		b, err := buildApp(c, n.Metrics, prev[c.ID], n.webhookStore, n.consoleHook.webhook)
		if err != nil {
			n.discard(built)
			return nil, nil, err
		}
		apps = append(apps, b.app)
		built = append(built, b)
	}
	return apps, built, nil
}

// commitApps makes built the node's apps and returns the webhook senders
// they replaced.
func (n *Node) commitApps(built []*builtApp) []*webhookSet {
	var replaced []*webhookSet
	next := make(map[string]*builtApp, len(built))
	for _, b := range built {
		if old := b.commit(); old != nil {
			replaced = append(replaced, old)
		}
		next[b.cfg.ID] = b
		n.Metrics.AddApp(b.cfg.ID)
	}
	n.apps = next
	return replaced
}

func (n *Node) discard(built []*builtApp) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for _, b := range built {
		b.discard(ctx)
	}
}

// ReloadApps serves apps from now on, keeping every connection of an
// app that stays (pusher.Server.ReplaceApps says what changes for whom).
// A secret that changed stays accepted for grace. Webhook senders of
// removed or changed apps are flushed and closed, token verifiers no
// longer used are closed. On an error nothing changes. Safe to call from
// any goroutine; calls are serialised.
func (n *Node) ReloadApps(apps []config.App, grace time.Duration) (pusher.AppChanges, error) {
	n.appsMu.Lock()
	defer n.appsMu.Unlock()
	next, built, err := n.buildApps(apps, n.apps)
	if err != nil {
		return pusher.AppChanges{}, err
	}
	changes, err := n.Pusher.ReplaceApps(next, grace)
	if err != nil {
		n.discard(built)
		return pusher.AppChanges{}, err
	}
	kept := map[*auth.Verifier]bool{}
	for _, b := range built {
		kept[b.app.JWT] = true
	}
	for _, b := range n.apps {
		if !kept[b.app.JWT] {
			b.app.JWT.Close()
		}
	}
	old := n.apps
	replaced := n.commitApps(built)
	for id, b := range old {
		if n.apps[id] == nil { // removed: its sender goes too
			replaced = append(replaced, b.hook.Swap(nil))
		}
	}
	if n.console != nil { // it signs its actions with the apps' current secrets
		shown := n.cfg
		shown.Apps = apps
		n.console.Update(consoleApps(apps), shown.Masked().YAML())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, s := range replaced {
		n.closeSender(ctx, s)
	}
	return changes, nil
}

// closeSender flushes and stops an app's webhook senders (nil: nothing to
// do) and returns the events they dropped meanwhile.
func (n *Node) closeSender(ctx context.Context, s *webhookSet) uint64 {
	lost, err := s.close(ctx)
	if err != nil {
		n.log.Warn("webhook flush", "err", err)
	}
	return lost
}
