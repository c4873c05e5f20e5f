package pusher

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The summary of connections closed without signing in: the first at
// once, then at most one per unsignedEvery with what piled up meanwhile,
// nothing when nothing happened.
func TestUnsignedSummaryIsRateLimited(t *testing.T) {
	var logs bytes.Buffer // only this goroutine logs: the test server runs no ticker
	app := &App{ID: "a1", Key: "k1", Secret: "s1"}
	s := newTestServer(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Apps: []*App{app}}, false)
	t0 := time.Unix(1_800_000_000, 0)
	s.logUnsigned(t0)
	if out := take(&logs); out != "" {
		t.Fatalf("a summary with nothing to report:\n%s", out)
	}
	app.unsigned.Add(2)
	s.logUnsigned(t0)
	if out := take(&logs); strings.Count(out, "\n") != 1 || !strings.Contains(out, "connections=2") ||
		!strings.Contains(out, "app=a1") || !strings.Contains(out, "auth.mode: optional") {
		t.Fatalf("first summary:\n%s", out)
	}
	app.unsigned.Add(5)
	for _, d := range []time.Duration{time.Second, 30 * time.Second, unsignedEvery - time.Millisecond} {
		s.logUnsigned(t0.Add(d))
		if out := take(&logs); out != "" {
			t.Fatalf("a second summary %v after the first:\n%s", d, out)
		}
	}
	s.logUnsigned(t0.Add(unsignedEvery))
	if out := take(&logs); strings.Count(out, "\n") != 1 || !strings.Contains(out, "connections=5") ||
		!strings.Contains(out, "since=1m0s") {
		t.Fatalf("the summary a minute later:\n%s", out)
	}
}

// take returns what was logged since the last call.
func take(b *bytes.Buffer) string {
	s := b.String()
	b.Reset()
	return s
}
