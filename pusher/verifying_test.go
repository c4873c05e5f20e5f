package pusher_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
	"github.com/golang-jwt/jwt/v5"
)

// While a token waits for a JWKS fetch, the loop keeps what the client
// sends, but only up to the request size: a client that streams bytes
// before its 101 is dropped then, not buffered until the fetch ends.
func TestBytesBeforeThe101AreBounded(t *testing.T) {
	k := newKeys(t)
	release := make(chan struct{})
	var fetches atomic.Int32
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fetches.Add(1) > 1 { // the start-up fetch answers; the unknown-kid one hangs
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{}})
	}))
	t.Cleanup(jwks.Close)
	t.Cleanup(func() { close(release) })
	app := e2eApp("slowjwks")
	app.Auth.JWT.JWKSURL = jwks.URL
	cfg := fantest.Config()
	cfg.Apps = []config.App{app}
	// Longer than the key-set client's own timeout (5 s): the drop must
	// come from the byte bound, not from the upgrade deadline, and an
	// unbounded server would answer 401 when the fetch gives up.
	cfg.Server.UpgradeTimeout = time.Minute
	n := fantest.Start(t, cfg, nil)

	tok := signJWT(t, jwt.SigningMethodES256, k.ec, "unknown-kid", claims("u1", time.Now()))
	nc, err := net.DialTimeout("tcp", n.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET " + appPath(app.Key, "") + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer " + tok + "\r\n\r\n"
	if _, err := io.WriteString(nc, req); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); fetches.Load() < 2; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) { // the token should be waiting for the key set by now
			t.Fatal("the unknown kid never made the server fetch the key set")
		}
	}
	_ = nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, _ = nc.Write([]byte(strings.Repeat("x", 64<<10))) // 8x the request limit
	_ = nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(nc)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the connection was kept, with its bytes, while the key set was fetched")
	}
	if len(got) > 0 {
		t.Fatalf("got %q, want the connection dropped without an answer", got)
	}
}
