package server

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/metrics"
	"github.com/fanout/fanout/pusher"
	"github.com/fanout/fanout/webhook"
)

// buildApp turns one configured app into the protocol's App, with its
// token verifier and webhook senders (one per endpoint).
func buildApp(c config.App, m *metrics.Metrics, store webhook.Store) (*pusher.App, []*webhook.Sender, error) {
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
	}
	for _, h := range c.History {
		a.History = append(a.History, pusher.HistoryRule{Pattern: h.Channels, Size: h.Size, TTL: h.TTL})
	}
	m.AddApp(c.ID)
	senders := webhookSenders(c, m, store)
	m.SetWebhookQueue(c.ID, queuedIn(senders)) // nil without senders: served at 0
	if len(senders) == 0 {
		return a, nil, nil
	}
	a.WebhookGrace = c.Webhooks.Grace
	a.Webhook = func(e pusher.WebhookEvent) {
		ev := webhook.Event{Name: e.Name, Channel: e.Channel, UserID: e.UserID, Event: e.Event, Data: e.Data, SocketID: e.SocketID}
		for _, s := range senders {
			s.Send(ev)
		}
	}
	return a, senders, nil
}

// queuedIn reports the events waiting in every sender of an app, nil
// when it has none.
func queuedIn(senders []*webhook.Sender) func() int {
	if len(senders) == 0 {
		return nil
	}
	return func() int {
		n := 0
		for _, s := range senders {
			n += s.Queued()
		}
		return n
	}
}

// webhookSenders starts a sender for webhooks.url and one for each of
// webhooks.endpoints; each filters and queues on its own, so a slow
// endpoint holds up no other. With a store (Redis) each queue is a
// durable stream named by the app and the endpoint's URL and filters, the
// same on every node.
func webhookSenders(c config.App, m *metrics.Metrics, store webhook.Store) []*webhook.Sender {
	w := c.Webhooks
	base := webhook.Options{Key: c.Key, Secret: c.Secret, BatchMax: w.BatchMax, BatchWait: w.BatchWait,
		MaxQueue: w.MaxQueue, MaxRetries: w.MaxRetries, OnResult: m.WebhookResultFunc(), OnDrop: m.WebhookDropFunc(),
		Store: store, Client: webhookClient(m, store)}
	eps := w.Endpoints
	if w.URL != "" {
		eps = append([]config.WebhookEndpoint{{URL: w.URL, Events: w.Events}}, eps...)
	}
	var out []*webhook.Sender
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
