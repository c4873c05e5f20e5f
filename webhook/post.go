package webhook

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/fanout/fanout/auth"
)

// deliver posts one batch, retrying network errors and 5xx answers, and
// reports the outcome. A batch given up (retries spent, a 4xx answer, or
// Close's context ended) counts each of its events as dropped, so every
// event is either delivered or counted. Once Close's context has ended it
// only counts the batch as dropped.
func (s *Sender) deliver(batch []Event) {
	if s.ctx.Err() != nil {
		for range batch {
			s.drop()
		}
		return
	}
	ok := s.post(batch, nil)
	if s.o.OnResult != nil {
		s.o.OnResult(ok)
	}
	if !ok {
		for range batch {
			s.drop()
		}
	}
}

// post sends one batch with its retries; touch, when set, runs before
// each attempt (a durable queue's sign that the batch is still in hand).
func (s *Sender) post(batch []Event, touch func()) bool {
	body, err := encode(time.Now(), batch)
	if err != nil {
		return false
	}
	sig := auth.SignWebhook(s.o.Secret, body)
	for attempt := 0; ; attempt++ {
		if touch != nil {
			touch()
		}
		retry, ok := s.attempt(body, sig)
		if ok || !retry || attempt >= s.o.MaxRetries {
			return ok
		}
		if !s.sleep(backoff(s.o.Backoff, attempt)) {
			return false
		}
	}
}

// attempt makes one request; it reports success and whether a failure is
// worth retrying.
func (s *Sender) attempt(body []byte, sig string) (retry, ok bool) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.o.URL, bytes.NewReader(body))
	if err != nil {
		return false, false
	}
	for k, v := range s.o.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Pusher-Key", s.o.Key)
	req.Header.Set("X-Pusher-Signature", sig)
	req.Header.Set("User-Agent", "fanout-webhook")
	resp, err := s.o.Client.Do(req)
	if err != nil {
		return s.ctx.Err() == nil, false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, true
	case resp.StatusCode >= 500:
		return true, false
	default:
		return false, false
	}
}

// sleep waits d unless Close's context ends first.
func (s *Sender) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

// backoff returns the wait before retry number attempt+1: base doubled
// attempt times, capped at maxBackoff, jittered to [d/2, d].
func backoff(base time.Duration, attempt int) time.Duration {
	d := base
	for i := 0; i < attempt && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	half := d / 2
	return half + rand.N(half+1)
}
