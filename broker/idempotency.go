package broker

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Idempotent publishes. A backend that retries a publish after a timeout
// or a 503 cannot know whether its first attempt was accepted; with an
// idempotency key on the event, the node remembers the keys it accepted
// for a window and answers a repeat without delivering it again.
//
// A key goes through three states: absent, pending (an attempt holds it
// while its publish runs, for at most a lease) and done (its publish was
// accepted; kept for the window). Claim moves absent to pending and
// returns a token; Confirm moves pending to done; Release moves pending
// back to absent when the publish failed, so that a retry is delivered.
// A pending key whose holder died (a node killed mid-publish) is freed by
// its lease running out.

// ClaimState is the outcome of Idempotency.Claim.
type ClaimState uint8

const (
	// Claimed: the key was absent; the caller holds it and must publish,
	// then Confirm or Release it with the token.
	Claimed ClaimState = iota
	// Duplicate: an earlier publish with this key was accepted within
	// the window; the caller must not deliver it again.
	Duplicate
	// InFlight: another attempt holds the key and has not finished; the
	// caller may ask again later.
	InFlight
)

// Idempotency remembers publish keys (see the package comment above).
// Keys are opaque; callers scope them (by app). Implementations are safe
// for concurrent use.
type Idempotency interface {
	// Claim takes key for lease when it is absent (Claimed, with the
	// token to Confirm or Release it), or reports Duplicate or InFlight.
	Claim(ctx context.Context, key string, lease time.Duration) (ClaimState, string, error)
	// Confirm marks the key held with token as accepted for window.
	Confirm(ctx context.Context, key, token string, window time.Duration) error
	// Release frees the key held with token (its publish failed). A key
	// no longer held with token (its lease ran out, another took it) is
	// left alone.
	Release(ctx context.Context, key, token string) error
}

// NewClaimToken returns a random token naming one claim.
func NewClaimToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// MemoryIdempotency is the single-node Idempotency: at most MaxKeys keys
// in memory, oldest forgotten first. A key forgotten before its window
// ended (more than MaxKeys accepted within one window) is no longer
// recognised; EvictedEarly counts those.
type MemoryIdempotency struct {
	max int
	now func() time.Time

	mu      sync.Mutex
	keys    map[string]*list.Element // of *idemEntry
	order   list.List                // by last state change, oldest at the front
	evicted uint64
}

type idemEntry struct {
	key     string
	token   string // "" once done
	expires time.Time
}

// NewMemoryIdempotency returns a store of at most maxKeys keys (0 means
// 100,000); now is the clock (nil means time.Now).
func NewMemoryIdempotency(maxKeys int, now func() time.Time) *MemoryIdempotency {
	if maxKeys <= 0 {
		maxKeys = 100_000
	}
	if now == nil {
		now = time.Now
	}
	return &MemoryIdempotency{max: maxKeys, now: now, keys: map[string]*list.Element{}}
}

// Claim implements Idempotency.
func (m *MemoryIdempotency) Claim(_ context.Context, key string, lease time.Duration) (ClaimState, string, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.expireLocked(now)
	if el := m.keys[key]; el != nil {
		e := el.Value.(*idemEntry)
		if !e.expires.After(now) {
			m.removeLocked(el)
		} else if e.token == "" {
			return Duplicate, "", nil
		} else {
			return InFlight, "", nil
		}
	}
	for len(m.keys) >= m.max {
		m.removeLocked(m.order.Front())
		m.evicted++
	}
	e := &idemEntry{key: key, token: NewClaimToken(), expires: now.Add(lease)}
	m.keys[key] = m.order.PushBack(e)
	return Claimed, e.token, nil
}

// Confirm implements Idempotency.
func (m *MemoryIdempotency) Confirm(_ context.Context, key, token string, window time.Duration) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	el := m.keys[key]
	if el == nil || el.Value.(*idemEntry).token != token {
		// Its lease ran out and it was evicted or taken: remember it
		// anyway, the publish was accepted.
		if el != nil {
			m.removeLocked(el)
		}
		for len(m.keys) >= m.max {
			m.removeLocked(m.order.Front())
			m.evicted++
		}
		m.keys[key] = m.order.PushBack(&idemEntry{key: key, expires: now.Add(window)})
		return nil
	}
	e := el.Value.(*idemEntry)
	e.token, e.expires = "", now.Add(window)
	m.order.MoveToBack(el)
	return nil
}

// Release implements Idempotency.
func (m *MemoryIdempotency) Release(_ context.Context, key, token string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if el := m.keys[key]; el != nil && el.Value.(*idemEntry).token == token {
		m.removeLocked(el)
	}
	return nil
}

// Len returns the number of keys held (pending or done, expired ones not
// yet dropped included).
func (m *MemoryIdempotency) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

// EvictedEarly returns how many keys were forgotten before their window
// or lease ended because the store was full.
func (m *MemoryIdempotency) EvictedEarly() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.evicted
}

// expireLocked drops expired keys from the front. The list is ordered by
// last change, and windows are longer than leases, so it stops at the
// first live key; an expired key behind it is dropped when looked up or
// when it reaches the front.
func (m *MemoryIdempotency) expireLocked(now time.Time) {
	for el := m.order.Front(); el != nil; el = m.order.Front() {
		if el.Value.(*idemEntry).expires.After(now) {
			return
		}
		m.removeLocked(el)
	}
}

func (m *MemoryIdempotency) removeLocked(el *list.Element) {
	delete(m.keys, el.Value.(*idemEntry).key)
	m.order.Remove(el)
}
