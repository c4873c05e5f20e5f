package poller

import "sync"

// tailPoolSize is the capacity of pooled tail buffers: a partial frame
// header or a small message fits, and a bigger one gets its own buffer
// that is not returned to the pool.
const tailPoolSize = 4 << 10

var tailPool = sync.Pool{New: func() any { b := make([]byte, 0, tailPoolSize); return &b }}

func getTail(n int) []byte {
	if n > tailPoolSize {
		return make([]byte, 0, n+n/4)
	}
	return (*tailPool.Get().(*[]byte))[:0]
}

func putTail(b []byte) {
	if cap(b) != tailPoolSize {
		return
	}
	b = b[:0]
	tailPool.Put(&b)
}

// keepTail stores rest (which may alias c.tail) as c's unconsumed bytes.
func (c *Conn) keepTail(rest []byte) {
	if len(rest) == 0 {
		putTail(c.tail)
		c.tail = nil
		return
	}
	if c.tail != nil && cap(c.tail) >= len(rest) {
		n := copy(c.tail[:cap(c.tail)], rest)
		c.tail = c.tail[:n]
		return
	}
	t := append(getTail(len(rest)), rest...)
	putTail(c.tail)
	c.tail = t
}

// appendTail adds freshly read bytes behind the kept tail.
func (c *Conn) appendTail(data []byte) []byte {
	if cap(c.tail)-len(c.tail) < len(data) {
		t := append(getTail(len(c.tail)+len(data)), c.tail...)
		putTail(c.tail)
		c.tail = t
	}
	c.tail = append(c.tail, data...)
	return c.tail
}
