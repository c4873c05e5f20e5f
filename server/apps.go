package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/metrics"
	"github.com/fanout/fanout/pusher"
	"github.com/fanout/fanout/webhook"
)

// builtApp is one configured app as the node serves it. hook is shared by
// every version of the app that a reload makes, so the events of
// connections opened before a reload go to the current senders.
type builtApp struct {
	cfg  config.App
	app  *pusher.App
	hook *atomic.Pointer[webhookSet]
	// Made for this version, not taken over from the previous one:
	// ownJWT is closed if the version is discarded; sender (nil when
	// webhooks are off) is stored in hook by commit.
	ownJWT  bool
	newHook bool
	sender  *webhookSet
}

// buildApp turns one configured app into the protocol's App, with its
// token verifier and webhook senders (one per endpoint). prev is the
// app's running version (nil at start or for a new app): its verifier and
// senders are reused when their settings did not change. Nothing prev
// uses changes until commit. store (Redis, else nil) makes the webhook
// queues durable; watch sees each webhook event sent (the console's log).
func buildApp(c config.App, m *metrics.Metrics, prev *builtApp, store webhook.Store, watch func(app string, e pusher.WebhookEvent)) (*builtApp, error) {
	mode, ok := pusher.ParseAuthMode(c.Auth.Mode)
	if !ok {
		return nil, fmt.Errorf("app %s: bad auth mode %q", c.ID, c.Auth.Mode)
	}
	b := &builtApp{cfg: c, hook: new(atomic.Pointer[webhookSet])}
	var v *auth.Verifier
	if prev != nil {
		b.hook = prev.hook
		if prev.cfg.Secret == c.Secret && reflect.DeepEqual(prev.cfg.Auth.JWT, c.Auth.JWT) {
			v = prev.app.JWT
		}
	}
	if v == nil {
		var err error
		if v, err = verifier(c); err != nil {
			return nil, err
		}
		b.ownJWT = true
	}
	a := &pusher.App{
		ID: c.ID, Key: c.Key, Secret: c.Secret, Disabled: !c.Enabled,
		Auth: mode, SigninTimeout: c.Auth.SigninTimeout, PublicBeforeSignin: c.Auth.PublicBeforeSignin,
		TokenCookie: c.Auth.Cookie, JWT: v,
		Origins:      auth.OriginPolicy{Allowed: c.AllowedOrigins, Require: c.RequireOrigin},
		ClientEvents: c.ClientEvents, Deflate: c.Deflate,
		MaxConnections: c.MaxConnections, MaxChannels: c.MaxChannelsPerConnection,
		MaxEventData: c.MaxEventData, ClientEventRate: c.ClientEventRate,
		MaxPresenceMembers: c.MaxPresenceMembers, MaxQueuedBytes: c.MaxQueuedBytes,
		MaxPresenceMemberIDLength: c.MaxPresenceMemberIDLength, MaxPresenceMemberSize: c.MaxPresenceMemberSize,
		SubscriptionCount: c.SubscriptionCount, SubscriptionCountInterval: c.SubscriptionCountInterval,
		WatchlistEvents: c.WatchlistEvents,
	}
	for _, h := range c.History {
		a.History = append(a.History, pusher.HistoryRule{Pattern: h.Channels, Size: h.Size, TTL: h.TTL})
	}
	b.app = a
	hooked := c.Webhooks.URL != "" || len(c.Webhooks.Endpoints) > 0
	sameHook := prev != nil && prev.cfg.Key == c.Key && prev.cfg.Secret == c.Secret && reflect.DeepEqual(prev.cfg.Webhooks, c.Webhooks)
	if !sameHook {
		b.newHook = true
		if hooked {
			set := webhookSenders(c, m, store)
			b.sender = &set
		}
	}
	hook := b.hook
	m.SetWebhookQueue(c.ID, func() int { return hook.Load().queued() })
	if hooked {
		a.WebhookGrace = c.Webhooks.Grace
		a.Webhook = func(e pusher.WebhookEvent) {
			hook.Load().send(webhook.Event{Name: e.Name, Channel: e.Channel, UserID: e.UserID, Event: e.Event, Data: e.Data, SocketID: e.SocketID,
				SubscriptionCount: e.SubscriptionCount})
			watch(c.ID, e)
		}
	}
	return b, nil
}

// commit makes b's senders the app's and returns those they replaced
// (nil if none, or if b took the running ones over).
func (b *builtApp) commit() *webhookSet {
	if !b.newHook {
		return nil
	}
	return b.hook.Swap(b.sender)
}

// discard closes what buildApp made for b, which will not serve.
func (b *builtApp) discard(ctx context.Context) {
	if b.ownJWT {
		b.app.JWT.Close()
	}
	b.sender.close(ctx)
}

// webhookSet is an app's webhook senders: one for webhooks.url and one
// for each of webhooks.endpoints. A nil set sends nothing.
type webhookSet []*webhook.Sender

func (ws *webhookSet) send(e webhook.Event) {
	if ws == nil {
		return
	}
	for _, s := range *ws {
		s.Send(e)
	}
}

// queued is the events waiting in every sender of the set.
func (ws *webhookSet) queued() int {
	n := 0
	if ws != nil {
		for _, s := range *ws {
			n += s.Queued()
		}
	}
	return n
}

// close flushes and stops every sender within ctx; it returns the events
// dropped meanwhile (not delivered, nor stored in Redis) and the first
// error other than ctx's deadline.
func (ws *webhookSet) close(ctx context.Context) (dropped uint64, err error) {
	if ws == nil {
		return 0, nil
	}
	for _, s := range *ws {
		before := s.Dropped()
		if e := s.Close(ctx); e != nil && !errors.Is(e, context.DeadlineExceeded) && err == nil {
			err = e
		}
		dropped += s.Dropped() - before
	}
	return dropped, err
}

// webhookSenders starts a sender for webhooks.url and one for each of
// webhooks.endpoints; each filters and queues on its own, so a slow
// endpoint holds up no other. With a store (Redis) each queue is a
// durable stream named by the app and the endpoint's URL and filters, the
// same on every node.
func webhookSenders(c config.App, m *metrics.Metrics, store webhook.Store) webhookSet {
	w := c.Webhooks
	base := webhook.Options{Key: c.Key, Secret: c.Secret, BatchMax: w.BatchMax, BatchWait: w.BatchWait,
		MaxQueue: w.MaxQueue, MaxRetries: w.MaxRetries, OnResult: m.WebhookResultFunc(), OnDrop: m.WebhookDropFunc(),
		Store: store, Client: webhookClient(m, store)}
	eps := w.Endpoints
	if w.URL != "" {
		eps = append([]config.WebhookEndpoint{{URL: w.URL, Events: w.Events}}, eps...)
	}
	var out webhookSet
	seen := map[string]int{}
	for _, e := range eps {
		o := base
		o.URL, o.Events, o.Channels, o.Headers = e.URL, e.Events, e.Channels, e.Headers
		if store != nil {
			o.Stream = streamName(c.ID, e, seen)
		}
		out = append(out, webhook.New(o))
	}
	return out
}

// streamName names an endpoint's durable queue: the app id and a digest
// of its URL, channel glob and event names (not its headers, which may
// carry a token that rotates), and a counter for identical endpoints.
func streamName(app string, e config.WebhookEndpoint, seen map[string]int) string {
	h := sha256.New()
	h.Write([]byte(e.URL + "\x00" + e.Channels + "\x00" + strings.Join(e.Events, ",")))
	name := app + ":" + hex.EncodeToString(h.Sum(nil))[:16]
	if n := seen[name]; n > 0 {
		seen[name] = n + 1
		return name + ":" + strconv.Itoa(n)
	}
	seen[name] = 1
	return name
}

func verifier(c config.App) (*auth.Verifier, error) {
	o := auth.JWTOptions{HMACSecret: c.Auth.JWT.Secret, JWKSURL: c.Auth.JWT.JWKSURL,
		Issuer: c.Auth.JWT.Issuer, Audience: c.Auth.JWT.Audience, Leeway: c.Auth.JWT.Leeway,
		Algorithms: c.Auth.JWT.Algorithms}
	if o.HMACSecret == "" {
		o.HMACSecret = c.Secret
	}
	if f := c.Auth.JWT.PublicKeyFile; f != "" {
		pem, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("app %s: auth.jwt.public_key_file: %w", c.ID, err)
		}
		o.PublicKeyPEM = pem
	}
	v, err := auth.NewVerifier(o)
	if err != nil {
		return nil, fmt.Errorf("app %s: auth.jwt: %w", c.ID, err)
	}
	return v, nil
}
