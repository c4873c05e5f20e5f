package syncbuf

import (
	"bytes"
	"strings"
	"sync"
	"time"
)

// Buffer collects what is written to it. The zero value is an empty
// buffer that keeps everything.
type Buffer struct {
	// Max bounds the bytes kept, in bytes: what comes after the first
	// Max is dropped, still reported as written so that a writer such as
	// exec's copying goroutine carries on. Zero keeps everything.
	Max int

	mu   sync.Mutex
	b    bytes.Buffer
	grew chan struct{} // closed by the next Write that keeps bytes; nil while no one waits
}

// Write keeps p (up to Max) and wakes WaitCount. It never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := p
	if b.Max > 0 {
		keep = keep[:min(len(keep), max(b.Max-b.b.Len(), 0))]
	}
	if len(keep) > 0 {
		b.b.Write(keep)
		if b.grew != nil {
			close(b.grew)
			b.grew = nil
		}
	}
	return len(p), nil
}

// String returns a copy of what was kept so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// WaitCount waits until s occurs n times in what was kept (counted as
// strings.Count does: without overlaps), woken by each Write, and
// reports whether it did within d. d only bounds a failure.
func (b *Buffer) WaitCount(s string, n int, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		b.mu.Lock()
		if strings.Count(b.b.String(), s) >= n {
			b.mu.Unlock()
			return true
		}
		if b.grew == nil {
			b.grew = make(chan struct{})
		}
		grew := b.grew
		b.mu.Unlock()
		select {
		case <-grew:
		case <-timer.C:
			return strings.Count(b.String(), s) >= n
		}
	}
}
