package frame

// DecoderOptions configures a Decoder. The zero value means the documented
// defaults.
type DecoderOptions struct {
	// MaxMessageSize is the largest message in bytes, after reassembly and
	// decompression. Larger messages are a ProtocolError with
	// StatusMessageTooBig (1009). 0 means 65536.
	MaxMessageSize int64
	// Deflate says permessage-deflate was negotiated: RSV1 is allowed on the
	// first frame of a data message, whose payload is then inflated.
	// Default false: any RSV bit is a protocol error.
	Deflate bool
	// AllowUnmasked accepts unmasked frames (client role, or tests).
	// Default false: an unmasked frame is a protocol error, as RFC 6455
	// requires of a server.
	AllowUnmasked bool
}

// DefaultMaxMessageSize is the message size limit when
// DecoderOptions.MaxMessageSize is 0.
const DefaultMaxMessageSize = 65536

// Decoder turns the bytes a connection received into messages. One per
// connection; not safe for concurrent use. Set it up with Init (or
// NewDecoder); call Release when the connection closes.
//
// It is small and holds no buffer while no fragmented or compressed message
// is in flight.
type Decoder struct {
	// buf assembles a fragmented message or holds an inflated one; it comes
	// from the pool and is nil while idle.
	buf *[]byte
	max int64
	// checked counts the payload bytes of the incomplete frame at the start
	// of the caller's input already proven a valid UTF-8 prefix; partial
	// is the validator state after them.
	checked int
	partial utf8State
	// text is the validator state at the end of the fragments consumed so
	// far of the text message in flight.
	text  utf8State
	flags uint8
	// op is the opcode of the fragmented message in flight.
	op OpCode
}

const (
	flagDeflate uint8 = 1 << iota
	flagUnmasked
	flagInMessage
	flagCompressed
	flagFailed
)

// NewDecoder returns a Decoder set up with opts.
func NewDecoder(opts DecoderOptions) *Decoder {
	d := new(Decoder)
	d.Init(opts)
	return d
}

// Init sets the decoder up with opts, dropping any state it had.
func (d *Decoder) Init(opts DecoderOptions) {
	d.Release()
	*d = Decoder{max: opts.MaxMessageSize}
	if d.max <= 0 {
		d.max = DefaultMaxMessageSize
	}
	if opts.Deflate {
		d.flags |= flagDeflate
	}
	if opts.AllowUnmasked {
		d.flags |= flagUnmasked
	}
}

// Release returns pooled buffers and forgets any message in flight. Call it
// when the connection closes. The decoder keeps its options and may be used
// again for a new stream.
func (d *Decoder) Release() {
	if d.buf != nil {
		putBuf(d.buf)
		d.buf = nil
	}
	d.flags &^= flagInMessage | flagCompressed | flagFailed
	d.checked, d.partial, d.text, d.op = 0, utf8State{}, utf8State{}, 0
}

func (d *Decoder) has(f uint8) bool { return d.flags&f != 0 }

// limit is the largest message, resolving the zero value's default.
func (d *Decoder) limit() int64 {
	if d.max <= 0 {
		return DefaultMaxMessageSize
	}
	return d.max
}

// compressedLimit bounds the compressed bytes of one message: deflate may
// expand incompressible data a little (5 bytes per 64 KiB stored block).
func (d *Decoder) compressedLimit() int64 {
	m := d.limit()
	return m + m>>8 + 64
}
