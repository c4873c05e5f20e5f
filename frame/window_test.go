package frame

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// deflateWalk decodes a raw DEFLATE stream (RFC 1951) the slow, plain way
// and reports the output and the longest back-reference distance used. It
// exists to check what compress/flate emits; the server inflates with
// compress/flate itself.
func deflateWalk(src []byte) (out []byte, maxDist int, err error) {
	br := bitReader{src: src}
	for {
		final := br.bits(1)
		switch br.bits(2) {
		case 0:
			br.align()
			n := br.bits(16)
			if br.bits(16) != ^n&0xffff {
				return out, maxDist, errors.New("stored block length check")
			}
			for range n {
				out = append(out, byte(br.bits(8)))
			}
		case 1:
			lit, dist := fixedCodes()
			if out, maxDist, err = inflateBlock(&br, out, maxDist, lit, dist); err != nil {
				return out, maxDist, err
			}
		case 2:
			lit, dist, err := dynamicCodes(&br)
			if err != nil {
				return out, maxDist, err
			}
			if out, maxDist, err = inflateBlock(&br, out, maxDist, lit, dist); err != nil {
				return out, maxDist, err
			}
		default:
			return out, maxDist, errors.New("reserved block type")
		}
		if br.err != nil {
			return out, maxDist, br.err
		}
		if final == 1 {
			return out, maxDist, nil
		}
	}
}

type bitReader struct {
	src []byte
	pos int // in bits
	err error
}

func (r *bitReader) bits(n int) int {
	v := 0
	for i := range n {
		if r.pos>>3 >= len(r.src) {
			r.err = errors.New("unexpected end of stream")
			return 0
		}
		v |= int(r.src[r.pos>>3]>>(r.pos&7)&1) << i
		r.pos++
	}
	return v
}

func (r *bitReader) align() { r.pos = (r.pos + 7) &^ 7 }

// huffman is a canonical code: count[l] codes of length l, symbols in
// code order.
type huffman struct {
	count  [16]int
	symbol []int
}

func newHuffman(lengths []int) huffman {
	var h huffman
	for _, l := range lengths {
		h.count[l]++
	}
	h.count[0] = 0
	offs := [16]int{}
	for l := 1; l < 16; l++ {
		offs[l] = offs[l-1] + h.count[l-1]
	}
	offs[0] = 0
	h.symbol = make([]int, len(lengths))
	for s, l := range lengths {
		if l != 0 {
			h.symbol[offs[l]] = s
			offs[l]++
		}
	}
	return h
}

func (h huffman) decode(r *bitReader) (int, error) {
	code, first, index := 0, 0, 0
	for l := 1; l < 16; l++ {
		code |= r.bits(1)
		n := h.count[l]
		if code-n < first {
			return h.symbol[index+code-first], r.err
		}
		index += n
		first = (first + n) << 1
		code <<= 1
	}
	return 0, errors.New("bad huffman code")
}

func fixedCodes() (huffman, huffman) {
	lit := make([]int, 288)
	for i := range lit {
		switch {
		case i < 144:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		case i < 280:
			lit[i] = 7
		default:
			lit[i] = 8
		}
	}
	dist := make([]int, 30)
	for i := range dist {
		dist[i] = 5
	}
	return newHuffman(lit), newHuffman(dist)
}

func dynamicCodes(r *bitReader) (huffman, huffman, error) {
	nlen, ndist, ncode := r.bits(5)+257, r.bits(5)+1, r.bits(4)+4
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	cl := make([]int, 19)
	for i := range ncode {
		cl[order[i]] = r.bits(3)
	}
	clh := newHuffman(cl)
	lengths := make([]int, 0, nlen+ndist)
	for len(lengths) < nlen+ndist {
		sym, err := clh.decode(r)
		if err != nil {
			return huffman{}, huffman{}, err
		}
		switch {
		case sym < 16:
			lengths = append(lengths, sym)
		case sym == 16:
			if len(lengths) == 0 {
				return huffman{}, huffman{}, errors.New("repeat with no previous length")
			}
			prev := lengths[len(lengths)-1]
			for range 3 + r.bits(2) {
				lengths = append(lengths, prev)
			}
		case sym == 17:
			lengths = append(lengths, make([]int, 3+r.bits(3))...)
		default:
			lengths = append(lengths, make([]int, 11+r.bits(7))...)
		}
	}
	return newHuffman(lengths[:nlen]), newHuffman(lengths[nlen : nlen+ndist]), r.err
}

var (
	lenBase   = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra  = []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase  = []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra = []int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

func inflateBlock(r *bitReader, out []byte, maxDist int, lit, dist huffman) ([]byte, int, error) {
	for {
		sym, err := lit.decode(r)
		if err != nil {
			return out, maxDist, err
		}
		switch {
		case sym < 256:
			out = append(out, byte(sym))
			continue
		case sym == 256:
			return out, maxDist, nil
		case sym > 285:
			return out, maxDist, errors.New("bad length symbol")
		}
		n := lenBase[sym-257] + r.bits(lenExtra[sym-257])
		ds, err := dist.decode(r)
		if err != nil || ds >= 30 {
			return out, maxDist, errors.New("bad distance symbol")
		}
		d := distBase[ds] + r.bits(distExtra[ds])
		if d > len(out) {
			return out, maxDist, errors.New("distance before the start of the message")
		}
		maxDist = max(maxDist, d)
		for range n {
			out = append(out, out[len(out)-d])
		}
	}
}

// windowPayloads repeat content at distances from a few bytes to 20 KiB,
// so a compressor with the full window uses long back-references.
func windowPayloads() [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	block := func(n int) []byte {
		b := make([]byte, n)
		const alphabet = "abcdefghijklmnopqrstuvwxyz{}\":,"
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return b
	}
	json := []byte(`{"event":"order-shipped","channel":"orders","data":"{\"id\":12345,\"items\":[1,2,3]}"}`)
	return [][]byte{
		nil,
		[]byte("a"),
		json,
		bytes.Repeat(json, 200),
		bytes.Repeat(block(300), 5),
		bytes.Repeat(block(700), 4),
		bytes.Repeat(block(5000), 4),
		bytes.Repeat(block(20000), 2),
		block(70000),
	}
}

// Every compressed message for a window of 2^bits bytes decodes to the
// payload and never refers further back than 2^bits bytes (RFC 7692
// section 7.1.2.1), for each window from 8 to 15 bits.
func TestCompressedMessageStaysWithinTheWindow(t *testing.T) {
	for bits := MinWindowBits; bits <= FullWindowBits; bits++ {
		for i, p := range windowPayloads() {
			msg, err := AppendCompressedMessageWindow(nil, OpBinary, p, bits)
			if err != nil {
				t.Fatal(err)
			}
			h, n, err := ParseHeader(msg)
			if err != nil || h.Rsv != rsv1 || !h.Fin || int(h.Length) != len(msg)-n {
				t.Fatalf("bits %d payload %d: header %+v %v", bits, i, h, err)
			}
			stream := append(append([]byte{}, msg[n:]...), inflateTail[:]...)
			out, maxDist, err := deflateWalk(stream)
			if err != nil || !bytes.Equal(out, p) {
				t.Fatalf("bits %d payload %d (%d bytes): decoded %d bytes, err %v", bits, i, len(p), len(out), err)
			}
			if maxDist > 1<<bits {
				t.Fatalf("bits %d payload %d: a back-reference of %d bytes, window %d", bits, i, maxDist, 1<<bits)
			}
			// compress/flate, as the decoder uses it, agrees.
			got, err := inflate(nil, msg[n:], 1<<20)
			if err != nil || !bytes.Equal(got, p) {
				t.Fatalf("bits %d payload %d: inflate %v", bits, i, err)
			}
		}
	}
}

// The walker does see long references: with the full window the repeated
// 5,000-byte block is referenced from about 5,000 bytes back.
func TestDeflateWalkSeesFarReferences(t *testing.T) {
	p := windowPayloads()[6]
	msg, _ := AppendCompressedMessage(nil, OpBinary, p)
	_, n, _ := ParseHeader(msg)
	_, maxDist, err := deflateWalk(append(append([]byte{}, msg[n:]...), inflateTail[:]...))
	if err != nil || maxDist < 4096 {
		t.Fatalf("max distance %d, err %v: want a reference past 4 KiB", maxDist, err)
	}
}
