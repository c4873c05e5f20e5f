package pusher

import (
	"context"
	"log/slog"
)

// debug logs one connection lifecycle event at debug level. Tokens and
// signatures are never passed here.
func (s *Server) debug(msg string, c *conn, args ...any) {
	if !s.opts.Logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs := []any{"socket_id", c.socketID(), "fd", c.pc.Fd()}
	if c.app != nil {
		attrs = append(attrs, "app", c.app.ID)
	}
	if c.user != "" {
		attrs = append(attrs, "user", c.user)
	}
	s.opts.Logger.Debug(msg, append(attrs, args...)...)
}
