package pusher

import (
	"io"
	"log/slog"
	"testing"
)

// newTestServer listens on a free loopback port and serves until the test
// ends; without the ticker, a test moves time itself with advance. The
// zero Options get a quiet logger and one auth-off development app.
func newTestServer(tb testing.TB, o Options, ticker bool) *Server {
	tb.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Apps == nil {
		o.Apps = []*App{{ID: "app-id", Key: "app-key", Secret: "app-secret", Auth: AuthOff}}
	}
	s, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	s.serve(ticker)
	tb.Cleanup(s.Close)
	return s
}
