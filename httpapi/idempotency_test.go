package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/fantest"
)

// The X-Idempotency-Key header keys a publish like the body field; a bad
// key, in the body or the header, is refused with 400 and publishes
// nothing.
func TestIdempotencyHeaderAndBadKeys(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	c := fantest.Dial(t, n.URL("app-key"), nil)
	c.Subscribe("news")
	post := func(body, key string) (int, string) {
		t.Helper()
		q := auth.SignRequest("POST", "/apps/app-id/events", nil, []byte(body), "app-key", "app-secret", time.Now())
		req, _ := http.NewRequest("POST", n.HTTPBase()+"/apps/app-id/events?"+q.Encode(), strings.NewReader(body))
		if key != "" {
			req.Header.Set("X-Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for range 3 {
		if st, out := post(event("news", "once"), "hdr-1"); st != 200 {
			t.Fatalf("keyed by header: %d %s", st, out)
		}
	}
	withKey := func(k string) string {
		b, _ := json.Marshal(map[string]any{"name": "ev", "channel": "news", "data": "bad", "idempotency_key": k})
		return string(b)
	}
	for _, bad := range []string{strings.Repeat("k", 257), "tab\there", "é"} {
		if st, out := post(withKey(bad), ""); st != 400 || !strings.Contains(out, "idempotency_key") {
			t.Errorf("key %q: %d %s, want 400 naming idempotency_key", bad, st, out)
		}
	}
	if st, out := post(event("news", "bad"), strings.Repeat("h", 300)); st != 400 {
		t.Errorf("bad header key: %d %s, want 400", st, out)
	}
	if st, out := post(event("news", "mark"), ""); st != 200 {
		t.Fatalf("marker: %d %s", st, out)
	}
	var got []string
	for ev := c.Next(); ev.DataString() != "mark"; ev = c.Next() {
		got = append(got, ev.DataString())
	}
	if len(got) != 1 || got[0] != "once" {
		t.Fatalf("delivered %v before the marker, want [once]", got)
	}
}
