package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// cookieName is the session cookie. It has no Path attribute: the
// browser scopes it to the directory of the login URL, /console/ or the
// prefix a proxy serves the console under.
const cookieName = "fanout_console"

// csrfHeader carries the session's CSRF token on state-changing requests.
const csrfHeader = "X-Console-CSRF"

// passwordMatches compares in constant time; hashing first makes the
// time independent of the lengths too.
func passwordMatches(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// caller is who made an authenticated request, for the action log.
type caller struct {
	via  string // "session" or "bearer"
	csrf string // the session's token; "" for bearer
	addr string
}

func (c caller) String() string { return c.via + "@" + c.addr }

// authenticate finds the caller of r: the bearer password or a live
// session cookie.
func (c *Console) authenticate(r *http.Request) (caller, bool) {
	addr := clientAddr(r)
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if ok && passwordMatches(tok, c.o.Password) {
			return caller{via: "bearer", addr: addr}, true
		}
		return caller{}, false
	}
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return caller{}, false
	}
	s, ok := c.sessions.lookup(ck.Value)
	if !ok {
		return caller{}, false
	}
	return caller{via: "session", csrf: s.csrf, addr: addr}, true
}

// clientAddr is the peer, with the address a proxy in front reports.
func clientAddr(r *http.Request) string {
	if f := r.Header.Get("X-Forwarded-For"); f != "" {
		return strings.TrimSpace(strings.Split(f, ",")[0]) + " via " + r.RemoteAddr
	}
	return r.RemoteAddr
}

// sameOrigin refuses requests a browser made from another origin: an
// Origin header that is not this host, or Sec-Fetch-Site other than
// same-origin (or none: typed in the address bar). Requests without
// either header (curl, older browsers without the fetch metadata) pass;
// the CSRF token still guards cookie sessions.
func sameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	if o == "null" {
		return false
	}
	host := r.Header.Get("X-Forwarded-Host")
	if host == "" {
		host = r.Host
	}
	_, rest, ok := strings.Cut(o, "://")
	return ok && strings.EqualFold(rest, host)
}

// csrfOK checks a state-changing request of caller c (RFC 9110 section
// 9.2.1: everything but GET, HEAD, OPTIONS and TRACE): never from
// another origin, and with the session's token unless the bearer
// password authenticates it.
func csrfOK(r *http.Request, c caller) bool {
	if !sameOrigin(r) {
		return false
	}
	if c.via == "bearer" {
		return true
	}
	got := r.Header.Get(csrfHeader)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(c.csrf)) == 1
}
