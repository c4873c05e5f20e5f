package pusher

import (
	"testing"

	"github.com/fanout/fanout/session"
	"github.com/gobwas/ws"
)

// A connection's session records who ended it, readable once the socket
// is gone: the client's close frame with its code, or the client's bare
// EOF (close code 1006).
func TestWhoClosedIsRecorded(t *testing.T) {
	for _, tc := range []struct {
		name  string
		end   func(cl *wsClient)
		cause session.Cause
		code  uint32
	}{
		{"close frame", func(cl *wsClient) {
			f := ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye")))
			if err := ws.WriteFrame(cl.conn, f); err != nil {
				t.Fatal(err)
			}
			if code := cl.closeCodeNoReply(); code != 1000 { // the server's answer
				t.Errorf("answered with %d, want 1000", code)
			}
			cl.conn.Close()
		}, session.CloseFrame, 1000},
		{"eof", func(cl *wsClient) { cl.conn.Close() }, session.EOF, 1006},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := startFakeClockServer(t, Options{})
			cl := dialWS(t, h.url("app-key"), nil)
			c := h.onlyConn(t)
			tc.end(cl)
			waitFor(t, "the connection to close", func() bool { return c.state.Phase() == session.Closed })
			cause, _ := c.state.Ending()
			if cause != tc.cause || cause.By() != session.Client || c.closeCode() != tc.code {
				t.Fatalf("closed by %v (%v) with %d, want the client (%v) with %d", cause.By(), cause, c.closeCode(), tc.cause, tc.code)
			}
		})
	}
}
