package console

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/fanout/fanout/httpapi"
)

// maxLoginBody bounds a login request.
const maxLoginBody = 4 << 10

// login checks the password (a JSON body {"password": "..."})
// and starts a session: the cookie and, in the answer, the CSRF token.
// Cross-origin logins are refused (login CSRF), and failures are
// limited for the whole console (429 with Retry-After).
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if !sameOrigin(r) {
		httpapi.WriteError(w, http.StatusForbidden, "cross-site login refused")
		return
	}
	if !c.limiter.allow(c.o.Now()) {
		w.Header().Set("Retry-After", "6")
		httpapi.WriteError(w, http.StatusTooManyRequests, "too many failed logins; retry later")
		return
	}
	pw := ""
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLoginBody))
	if err != nil {
		httpapi.WriteError(w, http.StatusRequestEntityTooLarge, "login body too large")
		return
	}
	var in struct {
		Password string `json:"password"`
	}
	if json.Unmarshal(body, &in) == nil {
		pw = in.Password
	}
	if !passwordMatches(pw, c.o.Password) {
		c.limiter.failed()
		c.o.Logger.Warn("console: login failed", "from", clientAddr(r))
		httpapi.WriteError(w, http.StatusUnauthorized, "wrong password")
		return
	}
	id, csrf := c.sessions.create()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: int(c.o.SessionTTL.Seconds())})
	c.o.Logger.Info("console: login", "from", clientAddr(r))
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"csrf": csrf, "node": c.o.Node})
}

// logout ends the session (its CSRF token is checked: a logout forced
// from another site is refused too).
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	c.authed(func(w http.ResponseWriter, r *http.Request, who caller) {
		if ck, err := r.Cookie(cookieName); err == nil {
			c.sessions.drop(ck.Value)
		}
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
		c.o.Logger.Info("console: logout", "who", who.String())
		httpapi.WriteJSON(w, http.StatusOK, struct{}{})
	})(w, r)
}

// session answers the page's "am I logged in?" with the CSRF token.
func (c *Console) session(w http.ResponseWriter, r *http.Request, who caller) {
	httpapi.WriteJSON(w, http.StatusOK, map[string]any{"csrf": who.csrf, "node": c.o.Node, "cluster": c.o.Cluster != nil})
}

// loginLimiter slows password guessing: at most burst failures, refilled
// at one per interval, for the whole console.
type loginLimiter struct {
	mu       sync.Mutex
	tokens   float64
	last     time.Time
	burst    float64
	interval time.Duration
}

func (l *loginLimiter) allow(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() {
		l.tokens = min(l.burst, l.tokens+float64(now.Sub(l.last))/float64(l.interval))
	} else {
		l.tokens = l.burst
	}
	l.last = now
	return l.tokens >= 1
}

func (l *loginLimiter) failed() {
	l.mu.Lock()
	l.tokens--
	l.mu.Unlock()
}
