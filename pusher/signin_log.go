package pusher

import (
	"sort"
	"time"
)

// unsignedEvery is the shortest interval between two summaries of the
// connections closed for not signing in: a misconfigured front end
// (pusher-js without userAuthentication, Laravel Echo without signin())
// closes every one of its connections this way, and one line a minute
// says so without flooding the log.
const unsignedEvery = time.Minute

// unsignedLog is the state of those summaries; the ticker goroutine
// alone uses it.
type unsignedLog struct {
	last time.Time // when the last summary was written; zero: never
}

// logUnsigned writes, at most once per unsignedEvery, one warning per app
// whose connections were closed with 4009 at the end of the signin grace
// since the last one, with the count and the likely fix. The first is
// written on the tick after it happens.
func (s *Server) logUnsigned(now time.Time) {
	l := &s.unsignedLog
	if !l.last.IsZero() && now.Sub(l.last) < unsignedEvery {
		return
	}
	apps := s.apps.Load().byID
	ids := make([]string, 0, len(apps))
	for id, a := range apps {
		if a.unsigned.Load() > 0 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	sort.Strings(ids)
	since := "start"
	if !l.last.IsZero() {
		since = now.Sub(l.last).Round(time.Second).String()
	}
	for _, id := range ids {
		a := apps[id]
		s.opts.Logger.Warn("connections closed with 4009: no pusher:signin within auth.signin_timeout",
			"app", id, "connections", a.unsigned.Swap(0), "since", since, "signin_timeout", a.SigninTimeout,
			"fix", "sign in from the client (pusher-js userAuthentication and pusher.signin(); Laravel Echo: userAuthentication and Echo.connector.signin()), connect with a token, or set auth.mode: optional for this app")
	}
	l.last = now
}
