package poller

import (
	"bytes"
	"sync"
)

// The write path of a connection with a codec. The codec seals what a
// writer hands it (one frame, or a batch of frames as one plaintext, so
// a TLS codec puts them in one record) and the poller writes the result
// at once. An AppendSealer seals into a scratch buffer the poller lends
// it for the call: the kernel copies what write(2) takes, so a write
// taken whole allocates nothing, and only bytes that must wait are
// copied into a buffer of their own for the queue.
//
// The queue bound is checked before sealing, against the plaintext: a
// sealed record carries a sequence number (RFC 8446 section 5.3), so
// once sealed it must go out or the peer can decrypt nothing after it.

// sealScratch is the buffer a seal borrows, with room for a one-frame
// batch so that handing a single frame to the codec allocates nothing.
type sealScratch struct {
	wire []byte
	one  [1][]byte
}

const (
	// sealScratchSize is a new scratch buffer's capacity: a batch of a
	// few small frames.
	sealScratchSize = 4 << 10
	// sealScratchMax bounds the scratch buffers the pool keeps: one
	// full TLS record (2^14 bytes of plaintext, RFC 8446 section 5.1)
	// and its overhead fit, a buffer grown past this is left to the GC.
	sealScratchMax = 20 << 10
)

var sealPool = sync.Pool{New: func() any {
	return &sealScratch{wire: make([]byte, 0, sealScratchSize)}
}}

// sealWriteLocked seals b (bufs nil) or the batch bufs with the codec and
// writes the result, as writeRawLocked does.
func (c *Conn) sealWriteLocked(bufs [][]byte, b []byte, limit int) error {
	if c.queued > 0 || c.corked {
		n := len(b)
		for _, x := range bufs {
			n += len(x)
		}
		if limit >= 0 && c.queued+n > limit {
			return ErrQueueFull
		}
	}
	as := c.codec.as
	if as == nil {
		if bufs != nil {
			b = bytes.Join(bufs, nil)
		}
		w, err := c.codec.k.Seal(b)
		if err != nil {
			c.failLocked()
			return ErrClosed
		}
		return c.writeRawLocked(w, -1)
	}
	s := sealPool.Get().(*sealScratch)
	if bufs == nil {
		s.one[0] = b
		bufs = s.one[:]
	}
	w, err := as.AppendSeal(s.wire[:0], bufs)
	s.one[0] = nil
	if cap(w) <= sealScratchMax {
		s.wire = w[:0]
	}
	defer sealPool.Put(s)
	if err != nil {
		c.failLocked()
		return ErrClosed
	}
	return c.putLocked(w, -1, true) // the bound was checked before sealing
}
