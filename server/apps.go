package server

import (
	"fmt"
	"os"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/metrics"
	"github.com/fanout/fanout/pusher"
	"github.com/fanout/fanout/webhook"
)

// buildApp turns one configured app into the protocol's App, with its
// token verifier and webhook sender.
func buildApp(c config.App, m *metrics.Metrics) (*pusher.App, *webhook.Sender, error) {
	mode, ok := pusher.ParseAuthMode(c.Auth.Mode)
	if !ok {
		return nil, nil, fmt.Errorf("app %s: bad auth mode %q", c.ID, c.Auth.Mode)
	}
	v, err := verifier(c)
	if err != nil {
		return nil, nil, err
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
	m.AddApp(c.ID)
	if c.Webhooks.URL == "" {
		m.SetWebhookQueue(c.ID, nil) // served at 0
		return a, nil, nil
	}
	s := webhook.New(webhook.Options{URL: c.Webhooks.URL, Key: c.Key, Secret: c.Secret, Events: c.Webhooks.Events,
		BatchMax: c.Webhooks.BatchMax, BatchWait: c.Webhooks.BatchWait, MaxQueue: c.Webhooks.MaxQueue,
		MaxRetries: c.Webhooks.MaxRetries, OnResult: m.WebhookResultFunc(), OnDrop: m.WebhookDropFunc(),
		Client: webhookClient(m)})
	m.SetWebhookQueue(c.ID, s.Queued)
	a.Webhook = func(e pusher.WebhookEvent) {
		s.Send(webhook.Event{Name: e.Name, Channel: e.Channel, UserID: e.UserID, Event: e.Event, Data: e.Data, SocketID: e.SocketID,
			SubscriptionCount: e.SubscriptionCount})
	}
	return a, s, nil
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
