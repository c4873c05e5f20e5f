package console

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/fanout/fanout/httpapi"
)

//go:embed ui
var uiFiles embed.FS

// routes: the UI's files under /console/, the admin API under
// /console/api/. Paths the UI uses are relative, so a proxy may serve
// the console under any prefix.
func (c *Console) routes() {
	m := http.NewServeMux()
	ui, _ := fs.Sub(uiFiles, "ui")
	static := http.StripPrefix("/console/", http.FileServer(http.FS(ui)))
	m.Handle("/console/{file...}", secureHeaders(static))
	m.HandleFunc("GET /console", func(w http.ResponseWriter, r *http.Request) {
		// Relative, for a proxy's prefix (http.Redirect would make it
		// absolute).
		w.Header().Set("Location", "console/")
		w.WriteHeader(http.StatusMovedPermanently)
	})
	m.HandleFunc("POST /console/api/login", c.login)
	m.HandleFunc("POST /console/api/logout", c.logout)
	m.HandleFunc("GET /console/api/session", c.authed(c.session))
	m.HandleFunc("GET /console/api/stats", c.authed(c.stats))
	m.HandleFunc("GET /console/api/cluster", c.authed(c.clusterStats))
	m.HandleFunc("GET /console/api/config", c.authed(c.config))
	m.HandleFunc("GET /console/api/apps", c.authed(c.listApps))
	m.HandleFunc("GET /console/api/apps/{app}/channels", c.authed(c.read(c.channels)))
	m.HandleFunc("GET /console/api/apps/{app}/channels/{channel}/users", c.authed(c.read(c.users)))
	m.HandleFunc("GET /console/api/apps/{app}/channels/{channel}/history", c.authed(c.read(c.history)))
	m.HandleFunc("POST /console/api/apps/{app}/events", c.authed(c.publish))
	m.HandleFunc("POST /console/api/apps/{app}/users/{user}/terminate_connections", c.authed(c.terminate))
	m.HandleFunc("GET /console/api/stream", c.authed(c.stream))
	m.Handle("/console/api/", c.authed(func(w http.ResponseWriter, r *http.Request, _ caller) {
		httpapi.WriteError(w, http.StatusNotFound, "no such endpoint")
	}))
	c.mux = m
}

// secureHeaders: the page loads only its own files, is never framed
// (clickjacking) and sends no referrer.
func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// authed admits a request of a logged-in session or with the bearer
// password (401 otherwise) and, for state-changing methods, checks CSRF
// (403).
func (c *Console) authed(fn func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		who, ok := c.authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fanout console"`)
			httpapi.WriteError(w, http.StatusUnauthorized, "log in first, or send Authorization: Bearer <console password>")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !csrfOK(r, who) {
			c.o.Logger.Warn("console: cross-site request refused", "who", who.String(), "path", r.URL.Path,
				"origin", r.Header.Get("Origin"), "sec_fetch_site", r.Header.Get("Sec-Fetch-Site"))
			httpapi.WriteError(w, http.StatusForbidden, "cross-site request refused: send the session's X-Console-CSRF token from the console's own origin")
			return
		}
		fn(w, r, who)
	}
}
