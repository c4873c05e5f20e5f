package pusher

import (
	"sync/atomic"
	"time"
)

// secretRing is an app's signing secret and, while a rotation's grace
// lasts, the one it replaced. It is shared by every version of the app
// that ReplaceApps makes, so a connection opened before a rotation checks
// signatures against the same secrets as one opened after it. Read on
// any goroutine; rotate is called under the server's reload mutex.
type secretRing struct {
	p atomic.Pointer[secretSet]
}

type secretSet struct {
	current, previous string
	until             time.Time // previous is accepted before this instant
}

func newSecretRing(secret string) *secretRing {
	r := &secretRing{}
	r.p.Store(&secretSet{current: secret})
	return r
}

// get returns the current secret and, before the grace ends, the
// previous one ("" after it).
func (r *secretRing) get(now time.Time) (current, previous string) {
	s := r.p.Load()
	if s.previous != "" && now.Before(s.until) {
		return s.current, s.previous
	}
	return s.current, ""
}

// rotate makes secret current; the current one stays accepted until until.
func (r *secretRing) rotate(secret string, until time.Time) {
	r.p.Store(&secretSet{current: secret, previous: r.p.Load().current, until: until})
}

// Secrets returns the secret that signatures are checked against and,
// during the grace that follows a rotation (Server.ReplaceApps), the
// previous secret, which is accepted too; previous is "" otherwise.
func (a *App) Secrets(now time.Time) (current, previous string) {
	return a.secrets.get(now)
}

// signedWith reports whether ok accepts the current secret or, during a
// rotation's grace, the previous one (channel authorization, signin).
func (a *App) signedWith(ok func(secret string) bool) bool {
	cur, prev := a.Secrets(time.Now())
	return ok(cur) || prev != "" && ok(prev)
}
