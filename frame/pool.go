package frame

import "sync"

// Buffer pool for fragment assembly and inflated messages. A Decoder holds a
// buffer only while a fragmented or compressed message is in flight, or
// until the next Decode after returning one.
const (
	// bufInitialCap is the capacity of a fresh pooled buffer.
	bufInitialCap = 4 << 10
	// bufMaxPooledCap caps what goes back to the pool, so one large message
	// does not pin a large buffer for the life of the process.
	bufMaxPooledCap = 128 << 10
)

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, bufInitialCap)
	return &b
}}

func getBuf() *[]byte {
	b := bufPool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

func putBuf(b *[]byte) {
	if cap(*b) > bufMaxPooledCap {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
