package auth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

const (
	// DefaultJWKSRefresh is the JWKS refresh period when
	// JWTOptions.JWKSRefresh is zero.
	DefaultJWKSRefresh = 5 * time.Minute
	// UnknownKidRefreshGap is the least time between two refreshes caused
	// by tokens naming a kid the cached set does not hold.
	UnknownKidRefreshGap = 30 * time.Second
	// MaxJWKSSize bounds the JWKS document read from the endpoint.
	MaxJWKSSize = 1 << 20
)

var errClosed = errors.New("auth: Verifier closed")

// jwksCache holds the last good key set of a JWKS endpoint. Fetches are
// shared: at most one runs at a time, and callers that need its result
// wait for it.
type jwksCache struct {
	url    string
	client *http.Client
	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
	done   chan struct{} // closed when the refresh loop has stopped

	mu           sync.Mutex
	byKid        map[string][]pubKey
	all          []pubKey
	fetchedAt    time.Time
	lastErr      error
	lastOnDemand time.Time
	inflight     chan struct{} // non-nil while a fetch runs
}

func newJWKSCache(url string, client *http.Client) *jwksCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &jwksCache{url: url, client: client, ctx: ctx, cancel: cancel, done: make(chan struct{})}
}

// keys returns the cached keys with kid ("" for all of them).
func (c *jwksCache) keys(kid string) []pubKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	if kid == "" {
		return c.all
	}
	return c.byKid[kid]
}

// lookup returns the keys with kid, refreshing the set once when the kid
// is unknown and no on-demand refresh happened in the last
// UnknownKidRefreshGap (measured on now).
func (c *jwksCache) lookup(kid string, now time.Time) []pubKey {
	if ks := c.keys(kid); len(ks) > 0 {
		return ks
	}
	c.mu.Lock()
	allowed := c.lastOnDemand.IsZero() || now.Sub(c.lastOnDemand) >= UnknownKidRefreshGap
	if allowed {
		c.lastOnDemand = now
	}
	c.mu.Unlock()
	if !allowed {
		return nil
	}
	c.refresh(c.ctx) //nolint:errcheck // the outcome is in status; the old set stays
	return c.keys(kid)
}

// refresh fetches the set now, or waits for the fetch already running.
func (c *jwksCache) refresh(ctx context.Context) error {
	if c.ctx.Err() != nil {
		return errClosed
	}
	c.mu.Lock()
	if ch := c.inflight; ch != nil {
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.lastErr
	}
	ch := make(chan struct{})
	c.inflight = ch
	c.mu.Unlock()

	keys, err := c.fetch(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight = nil
	close(ch)
	c.lastErr = err
	if err == nil {
		c.install(keys)
	}
	return err
}

// install replaces the set; the caller holds mu.
func (c *jwksCache) install(keys []pubKey) {
	byKid := make(map[string][]pubKey, len(keys))
	for _, k := range keys {
		if k.kid != "" {
			byKid[k.kid] = append(byKid[k.kid], k)
		}
	}
	c.byKid, c.all, c.fetchedAt = byKid, keys, time.Now()
}

func (c *jwksCache) fetch(ctx context.Context) ([]pubKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS endpoint answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxJWKSSize+1))
	if err != nil {
		return nil, err
	}
	if len(body) > MaxJWKSSize {
		return nil, errors.New("JWKS larger than MaxJWKSSize")
	}
	return parseJWKS(body)
}

// loop refreshes every period until close.
func (c *jwksCache) loop(period time.Duration) {
	defer close(c.done)
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			c.refresh(c.ctx) //nolint:errcheck // kept in status
		}
	}
}

func (c *jwksCache) close() {
	c.cancel()
	<-c.done
}

// JWKSStatus describes the cached JWKS of a Verifier.
type JWKSStatus struct {
	Keys      int       // usable keys in the last good set
	FetchedAt time.Time // when the last good set was installed; zero if never
	LastError error     // the outcome of the latest fetch; nil if it succeeded
}

func (c *jwksCache) status() JWKSStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return JWKSStatus{Keys: len(c.all), FetchedAt: c.fetchedAt, LastError: c.lastErr}
}
