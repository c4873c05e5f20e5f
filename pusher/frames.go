package pusher

import (
	"errors"

	"github.com/fanout/fanout/frame"
	"github.com/fanout/fanout/session"
)

// frames decodes every complete frame in data and returns the bytes
// consumed; a partial frame waits for the next read.
func (s *Server) frames(c *conn, data []byte) int {
	off := 0
	for off < len(data) {
		m, n, err := c.dec.Decode(data[off:])
		if err != nil {
			s.violation(c, err)
			return len(data)
		}
		if n == 0 {
			break
		}
		off += n
		if !s.message(c, m) {
			return len(data)
		}
	}
	return off
}

// violation closes a connection that broke RFC 6455 with the code the
// decoder chose (1002, 1007, 1009) and stops reading from it.
func (s *Server) violation(c *conn, err error) {
	var pe frame.ProtocolError
	code := frame.StatusProtocolError
	if errors.As(err, &pe) {
		code = pe.Code
	}
	s.closeWith(c, code, err.Error(), session.ProtocolError, false)
	c.pc.Close()
}

// message handles one decoded message; false stops reading.
func (s *Server) message(c *conn, m frame.Message) bool {
	switch m.Kind {
	case frame.KindPing: // a pong is a control frame: queued like any, not counted as a message
		s.write(c, frame.AppendMessage(make([]byte, 0, len(m.Payload)+2), frame.OpPong, m.Payload))
	case frame.KindClose:
		s.peerClosed(c, m)
		return false
	case frame.KindData:
		s.opts.Metrics.MessageIn(len(m.Payload))
		if c.state.Phase() != session.Open {
			return true // closing: wait for the peer's close frame
		}
		if c.transport == transportEcho {
			s.send(c, echoFrame(c, m))
			return true
		}
		s.event(c, m.Payload)
	}
	return true
}

// peerClosed answers the peer's close frame (echoing its code) unless we
// started the close, then lets the socket go.
func (s *Server) peerClosed(c *conn, m frame.Message) {
	if c.state.StartClose(uint16(m.Code), session.CloseFrame) {
		code := m.Code
		if code == frame.StatusNoStatusRcvd {
			code = 0
		}
		c.pc.CloseWith(frame.AppendClose(nil, code, ""), false)
	}
	c.pc.Close()
}

// echoFrame is the /echo reply to m: compressed within the client's window
// when permessage-deflate was negotiated, so conformance runs exercise the
// server's compressor as well as its decompressor.
func echoFrame(c *conn, m frame.Message) []byte {
	if c.deflBits != 0 {
		if b, err := frame.AppendCompressedMessageWindow(nil, m.OpCode, m.Payload, int(c.deflBits)); err == nil {
			return b
		}
	}
	return frame.AppendMessage(make([]byte, 0, len(m.Payload)+10), m.OpCode, m.Payload)
}
