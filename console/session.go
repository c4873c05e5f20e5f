package console

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"
)

// maxSessions bounds the sessions held; the oldest goes first.
const maxSessions = 1000

// session is one browser login.
type session struct {
	csrf    string
	expires time.Time
}

// sessions holds logins by the SHA-256 of their cookie value.
type sessions struct {
	mu   sync.Mutex
	byID map[[32]byte]session
	ttl  time.Duration
	now  func() time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{byID: map[[32]byte]session{}, ttl: ttl, now: now}
}

// create starts a session: the cookie value and its CSRF token.
func (s *sessions) create() (id, csrf string) {
	id, csrf = randomToken(), randomToken()
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.byID { // expired ones out; the map is bounded
		if now.After(v.expires) {
			delete(s.byID, k)
		}
	}
	if len(s.byID) >= maxSessions {
		var oldest [32]byte
		var at time.Time
		for k, v := range s.byID {
			if at.IsZero() || v.expires.Before(at) {
				oldest, at = k, v.expires
			}
		}
		delete(s.byID, oldest)
	}
	s.byID[sha256.Sum256([]byte(id))] = session{csrf: csrf, expires: now.Add(s.ttl)}
	return id, csrf
}

// lookup returns the live session of a cookie value.
func (s *sessions) lookup(id string) (session, bool) {
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.byID[k]
	if ok && s.now().After(v.expires) {
		delete(s.byID, k)
		return session{}, false
	}
	return v, ok
}

func (s *sessions) drop(id string) {
	s.mu.Lock()
	delete(s.byID, sha256.Sum256([]byte(id)))
	s.mu.Unlock()
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
