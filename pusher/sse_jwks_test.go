package pusher_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestSSEKeySetTokenCheckedOnThePool: with a JWKS-backed app the token is
// checked on the pool (a key-set fetch never runs on the loop), and the
// stream joins its channels there: a granted private channel streams, an
// unknown key id is 401, and the stream leaves no connection behind when
// its client goes.
func TestSSEKeySetTokenCheckedOnThePool(t *testing.T) {
	k := newKeys(t)
	_, app := strictApps(t, k)
	n := startApps(t, app)
	now := time.Now()
	grant := []string{"private-u1.*"}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	get := func(kid string) *http.Response {
		req, _ := http.NewRequest("GET", n.HTTPBase()+"/app/"+app.Key+"/sse?channel=private-u1.inbox", nil)
		req.Header.Set("Authorization", "Bearer "+signJWT(t, jwt.SigningMethodES256, k.ec, kid, claims("u1", now, "channels", grant)))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if resp := get("k9"); resp.StatusCode != 401 {
		t.Fatalf("unknown kid: %d", resp.StatusCode)
	}
	resp := get("k1")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	waitConns(t, n, 1)
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The stream is open before its channel is joined on the pool: publish
	// until the event comes through, bounded.
	deadline := time.After(10 * time.Second)
	for got := false; !got; {
		if st, body := n.Publish(t, app, "private-u1.inbox", "note", "hi"); st != 200 {
			t.Fatalf("publish %d %s", st, body)
		}
		select {
		case l := <-lines:
			got = strings.HasPrefix(l, "event: note")
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no event on the stream")
		}
	}
	resp.Body.Close()
	waitConns(t, n, 0)
}
