package frame

import (
	"compress/flate"
	"io"
	"sync"
)

// inflateTail ends every compressed message: the 0x00 0x00 0xff 0xff the
// sender stripped (RFC 7692 7.2.2), then an empty final stored block so the
// flate reader reports a clean io.EOF instead of running out of input.
var inflateTail = [...]byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// tailReader reads p and then inflateTail, without copying p. It is an
// io.ByteReader so the flate reader does not wrap it in a bufio.Reader.
type tailReader struct {
	p   []byte
	off int
}

func (r *tailReader) next() []byte {
	if r.off < len(r.p) {
		return r.p[r.off:]
	}
	if t := r.off - len(r.p); t < len(inflateTail) {
		return inflateTail[t:]
	}
	return nil
}

func (r *tailReader) Read(b []byte) (int, error) {
	src := r.next()
	if src == nil {
		return 0, io.EOF
	}
	n := copy(b, src)
	r.off += n
	return n, nil
}

func (r *tailReader) ReadByte() (byte, error) {
	src := r.next()
	if src == nil {
		return 0, io.EOF
	}
	r.off++
	return src[0], nil
}

// inflater is a flate reader with its source, pooled together.
type inflater struct {
	src tailReader
	fr  io.ReadCloser
}

var inflaterPool sync.Pool

func getInflater(p []byte) *inflater {
	f, _ := inflaterPool.Get().(*inflater)
	if f == nil {
		f = new(inflater)
		f.src = tailReader{p: p}
		f.fr = flate.NewReader(&f.src)
		return f
	}
	f.src = tailReader{p: p}
	// Reset with a nil dictionary: no context takeover.
	_ = f.fr.(flate.Resetter).Reset(&f.src, nil)
	return f
}

func putInflater(f *inflater) {
	f.src = tailReader{}
	inflaterPool.Put(f)
}

// inflate appends the inflated form of the compressed message src to dst.
// It stops with StatusMessageTooBig as soon as the output exceeds max, so a
// zip bomb costs at most max bytes; corrupt data is a protocol error.
func inflate(dst, src []byte, max int64) ([]byte, error) {
	f := getInflater(src)
	defer putInflater(f)
	for {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		k, err := f.fr.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+k]
		if int64(len(dst)) > max {
			return dst, tooBig()
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, protocolErr("corrupt compressed message")
		}
	}
}
