package pusher

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/session"
)

// appRegistry is one generation of the apps, by key (the path of
// /app/{key}) and by id (the HTTP API's /apps/{id}). A generation is
// never modified once stored: ReplaceApps stores a new one, so a lookup
// is one atomic load and one map read on any goroutine.
type appRegistry struct {
	byKey, byID map[string]*App
}

func newAppRegistry(n int) *appRegistry {
	return &appRegistry{byKey: make(map[string]*App, n), byID: make(map[string]*App, n)}
}

// add fills in a's defaults and enters it; it refuses an app without id,
// key or secret, and an id or key already entered.
func (r *appRegistry) add(a *App) error {
	a.withDefaults()
	if a.ID == "" || a.Key == "" || a.Secret == "" {
		return errors.New("pusher: app needs id, key and secret")
	}
	if r.byKey[a.Key] != nil || r.byID[a.ID] != nil {
		return fmt.Errorf("pusher: duplicate app %q", a.ID)
	}
	if a.JWT == nil {
		v, err := auth.NewVerifier(auth.JWTOptions{HMACSecret: a.Secret})
		if err != nil {
			return fmt.Errorf("pusher: app %s: %w", a.ID, err)
		}
		a.JWT = v
	}
	r.byKey[a.Key], r.byID[a.ID] = a, a
	return nil
}

// AppChanges is what ReplaceApps did, each list holding app ids in the
// order of the new apps (Removed: of the old ones).
type AppChanges struct {
	Added   []string // ids not served before
	Removed []string // ids no longer served; their connections got 4001
	// Rekeyed apps kept their id under a new key: their connections got
	// 4001 (their clients reconnect with the new key).
	Rekeyed []string
	// Rotated apps got a new secret; the old one stays accepted for the
	// grace given to ReplaceApps.
	Rotated []string
	// Disabled apps were enabled before; their connections got 4003.
	Disabled []string
	Closed   int // connections closed, in all
	// Notes are changes that take effect only after a restart.
	Notes []string
}

// ReplaceApps makes apps the served set, from any goroutine, without
// touching a connection of an app that stays. An app whose id was
// served before keeps its connection count and, under the same key, its
// connections; if its secret changed, the old secret is still accepted
// for grace (HTTP API signatures, channel authorization, user signin),
// then only the new. Connections opened earlier keep the limits they
// opened with; connections opened and HTTP API requests served after the
// call get the new ones. Connections of removed or re-keyed apps are
// closed with 4001 (app does not exist), of apps now disabled with 4003.
// The old *App values are not used for new work afterwards; the caller
// owns their JWT verifiers (those not reused in apps) and closes them.
// On an error (an app without credentials, a duplicate id or key) nothing
// changes.
func (s *Server) ReplaceApps(apps []*App, grace time.Duration) (AppChanges, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	var ch AppChanges
	if len(apps) == 0 {
		return ch, errors.New("pusher: no apps")
	}
	old := s.apps.Load()
	next := newAppRegistry(len(apps))
	now := time.Now()
	var rotations []func()
	for _, a := range apps {
		prev := old.byID[a.ID]
		switch {
		case prev == nil:
			ch.Added = append(ch.Added, a.ID)
		case prev.Key != a.Key:
			ch.Rekeyed = append(ch.Rekeyed, a.ID)
		default:
			a.conns, a.secrets, a.unsigned = prev.conns, prev.secrets, prev.unsigned
			if cur, _ := prev.secrets.get(now); cur != a.Secret {
				ch.Rotated = append(ch.Rotated, a.ID)
				ring, secret := prev.secrets, a.Secret
				rotations = append(rotations, func() { ring.rotate(secret, now.Add(grace)) })
			}
			if a.Disabled && !prev.Disabled {
				ch.Disabled = append(ch.Disabled, a.ID)
			}
		}
		if err := next.add(a); err != nil {
			return AppChanges{}, err
		}
		if a.MaxQueuedBytes > s.queueLimit {
			ch.Notes = append(ch.Notes, fmt.Sprintf("app %s: max_queued_bytes above %d (the largest at start) takes effect after a restart", a.ID, s.queueLimit))
		}
	}
	for id := range old.byID {
		if next.byID[id] == nil {
			ch.Removed = append(ch.Removed, id)
		}
	}
	slices.Sort(ch.Removed)
	for _, rotate := range rotations {
		rotate()
	}
	s.apps.Store(next)
	ch.Closed = s.closeStale(next)
	return ch, nil
}

// closeStale closes the open connections whose app next no longer serves
// under their key (4001) or serves disabled (4003). A connection that
// opens with an old generation while this runs is caught by the second
// pass, as Drain does.
func (s *Server) closeStale(next *appRegistry) int {
	closed := 0
	for range 2 {
		for _, c := range s.allConns() {
			if c.app == nil {
				continue
			}
			cur := next.byKey[c.app.Key]
			switch {
			case cur == nil || cur.ID != c.app.ID:
				if s.closeWith(c, CodeUnknownApp, "app removed", session.Rejected, false) {
					closed++
				}
			case cur.Disabled && !c.app.Disabled:
				if s.closeWith(c, CodeAppDisabled, "app disabled", session.Rejected, false) {
					closed++
				}
			}
		}
	}
	return closed
}
