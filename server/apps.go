package server

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sync/atomic"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/metrics"
	"github.com/fanout/fanout/pusher"
	"github.com/fanout/fanout/webhook"
)

// builtApp is one configured app as the node serves it. hook is shared by
// every version of the app that a reload makes, so the events of
// connections opened before a reload go to the current sender.
type builtApp struct {
	cfg  config.App
	app  *pusher.App
	hook *atomic.Pointer[webhook.Sender]
	// Made for this version, not taken over from the previous one:
	// ownJWT is closed if the version is discarded; sender (nil when
	// webhooks are off) is stored in hook by commit.
	ownJWT  bool
	newHook bool
	sender  *webhook.Sender
}

// buildApp turns one configured app into the protocol's App, with its
// token verifier and webhook sender. prev is the app's running version
// (nil at start or for a new app): its verifier and sender are reused
// when their settings did not change. Nothing prev uses changes until
// commit.
func buildApp(c config.App, m *metrics.Metrics, prev *builtApp) (*builtApp, error) {
	mode, ok := pusher.ParseAuthMode(c.Auth.Mode)
	if !ok {
		return nil, fmt.Errorf("app %s: bad auth mode %q", c.ID, c.Auth.Mode)
	}
	b := &builtApp{cfg: c, hook: new(atomic.Pointer[webhook.Sender])}
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
	}
	for _, h := range c.History {
		a.History = append(a.History, pusher.HistoryRule{Pattern: h.Channels, Size: h.Size, TTL: h.TTL})
	}
	b.app = a
	sameHook := prev != nil && prev.cfg.Key == c.Key && prev.cfg.Secret == c.Secret && reflect.DeepEqual(prev.cfg.Webhooks, c.Webhooks)
	if !sameHook {
		b.newHook = true
		if c.Webhooks.URL != "" {
			b.sender = newSender(c, m)
		}
	}
	if c.Webhooks.URL != "" {
		hook := b.hook
		a.Webhook = func(e pusher.WebhookEvent) {
			if s := hook.Load(); s != nil {
				s.Send(webhook.Event{Name: e.Name, Channel: e.Channel, UserID: e.UserID, Event: e.Event, Data: e.Data, SocketID: e.SocketID})
			}
		}
	}
	return b, nil
}

// commit makes b's sender the app's and returns the sender it replaced
// (nil if none, or if b took the running one over).
func (b *builtApp) commit() *webhook.Sender {
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
	if b.sender != nil {
		_ = b.sender.Close(ctx)
	}
}

func newSender(c config.App, m *metrics.Metrics) *webhook.Sender {
	return webhook.New(webhook.Options{URL: c.Webhooks.URL, Key: c.Key, Secret: c.Secret, Events: c.Webhooks.Events,
		BatchMax: c.Webhooks.BatchMax, BatchWait: c.Webhooks.BatchWait, MaxQueue: c.Webhooks.MaxQueue,
		MaxRetries: c.Webhooks.MaxRetries, OnResult: m.WebhookResultFunc(), OnDrop: m.WebhookDropFunc()})
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
