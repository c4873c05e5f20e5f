package frame

// errDecoderFailed is returned by Decode after a previous error.
var errDecoderFailed error = ProtocolError{Code: StatusProtocolError, Reason: "decoder used after a protocol error"}

// Decode consumes at most one frame from the start of in.
//
//   - If in does not hold a complete frame yet it returns (Message{}, 0, nil):
//     keep the bytes and call again with more. What the available bytes
//     already prove wrong is reported at once, without waiting for the rest:
//     every header rule (opcode, reserved bits, masking, control frame size
//     and fragmentation, message size, continuation order) and invalid UTF-8
//     in the available prefix of an uncompressed text frame.
//   - A consumed non-final fragment returns Kind KindNone and n > 0.
//   - A complete data message returns Kind KindData. For a single
//     unfragmented, uncompressed frame, Payload aliases in (unmasked in
//     place). For a reassembled or inflated message, Payload points into the
//     decoder's pooled buffer and is valid until the next Decode or Release.
//   - Control frames (also between fragments) return KindPing, KindPong or
//     KindClose with Payload aliasing in; for KindClose, Code and Reason come
//     from ParseClosePayload.
//
// Errors are ProtocolError values carrying the close code to use: 1002
// protocol error (also for corrupt compressed data), 1007 invalid UTF-8,
// 1009 message too big. After an error the decoder is unusable until
// Release.
func (d *Decoder) Decode(in []byte) (m Message, n int, err error) {
	if d.has(flagFailed) {
		return m, 0, errDecoderFailed
	}
	if !d.has(flagInMessage) && d.buf != nil {
		// The previous message's buffer is no longer referenced.
		putBuf(d.buf)
		d.buf = nil
	}
	h, hn, err := ParseHeader(in)
	if err != nil {
		return d.fail(err)
	}
	if hn == 0 {
		if err := d.checkStart(in); err != nil {
			return d.fail(err)
		}
		return m, 0, nil
	}
	if err := d.check(h); err != nil {
		return d.fail(err)
	}
	if int64(len(in)-hn) < h.Length {
		if err := d.checkPrefix(h, in[hn:]); err != nil {
			return d.fail(err)
		}
		return m, 0, nil
	}
	n = hn + int(h.Length)
	payload := in[hn:n:n]
	if h.Masked {
		Cipher(payload, h.Mask, 0)
	}
	skip, partial := d.checked, d.partial
	d.checked, d.partial = 0, utf8State{}
	if h.OpCode.IsControl() {
		m, err = control(h.OpCode, payload)
	} else {
		m, err = d.data(h, payload, skip, partial)
	}
	if err != nil {
		return d.fail(err)
	}
	return m, n, nil
}

func (d *Decoder) fail(err error) (Message, int, error) {
	d.flags |= flagFailed
	return Message{}, 0, err
}

func tooBig() error {
	return ProtocolError{Code: StatusMessageTooBig, Reason: "message too big"}
}

func badUTF8() error {
	return ProtocolError{Code: StatusInvalidPayload, Reason: "invalid UTF-8 in text message"}
}

// checkStart applies the header rules that the first one or two bytes of
// an incomplete header already decide (reserved bits and opcodes, masking,
// continuation order, control frame size and fragmentation), so garbage
// fails at once instead of waiting for a header that never completes.
func (d *Decoder) checkStart(in []byte) error {
	if len(in) == 0 {
		return nil
	}
	h := Header{Fin: in[0]&0x80 != 0, Rsv: in[0] >> 4 & 7, OpCode: OpCode(in[0] & 0xF), Masked: true}
	if h.OpCode.IsControl() && !h.Fin {
		return protocolErr("fragmented control frame")
	}
	if len(in) >= 2 {
		h.Masked = in[1]&0x80 != 0
		if h.OpCode.IsControl() && in[1]&0x7F > maxControlPayload {
			return protocolErr("control frame longer than 125 bytes")
		}
	}
	return d.check(h)
}

// check applies the rules the header alone decides under this decoder's
// options and message state.
func (d *Decoder) check(h Header) error {
	if h.Rsv&^rsv1 != 0 {
		return protocolErr("reserved bits RSV2/RSV3 set")
	}
	first := h.OpCode == OpText || h.OpCode == OpBinary
	if h.Rsv&rsv1 != 0 && !(first && d.has(flagDeflate)) {
		return protocolErr("reserved bit RSV1 set")
	}
	if !h.OpCode.defined() {
		return protocolErr("reserved opcode")
	}
	if !h.Masked && !d.has(flagUnmasked) {
		return protocolErr("unmasked client frame")
	}
	switch {
	case h.OpCode == OpContinuation:
		if !d.has(flagInMessage) {
			return protocolErr("continuation frame without a message in flight")
		}
		limit := d.limit()
		if d.has(flagCompressed) {
			limit = d.compressedLimit()
		}
		if h.Length > limit-int64(len(*d.buf)) {
			return tooBig()
		}
	case first:
		if d.has(flagInMessage) {
			return protocolErr("new data frame inside a fragmented message")
		}
		limit := d.limit()
		if h.Rsv&rsv1 != 0 {
			limit = d.compressedLimit()
		}
		if h.Length > limit {
			return tooBig()
		}
	}
	return nil
}

// textFrame reports whether h's payload is uncompressed text, which is
// validated as it arrives.
func (d *Decoder) textFrame(h Header) bool {
	switch h.OpCode {
	case OpText:
		return h.Rsv&rsv1 == 0
	case OpContinuation:
		return d.op == OpText && !d.has(flagCompressed)
	}
	return false
}

// checkPrefix validates the available part avail of an incomplete
// uncompressed text frame, on a stack copy (the input stays masked until the
// frame is complete). It resumes where the previous call stopped.
func (d *Decoder) checkPrefix(h Header, avail []byte) error {
	if !d.textFrame(h) || len(avail) <= d.checked {
		return nil
	}
	st := d.text
	if d.checked > 0 {
		st = d.partial
	}
	var chunk [256]byte
	for off := d.checked; off < len(avail); {
		k := copy(chunk[:], avail[off:])
		if h.Masked {
			Cipher(chunk[:k], h.Mask, off)
		}
		if !st.feed(chunk[:k]) {
			return badUTF8()
		}
		off += k
	}
	d.checked, d.partial = len(avail), st
	return nil
}

// control turns a complete control frame into a message.
func control(op OpCode, payload []byte) (Message, error) {
	m := Message{OpCode: op, Payload: payload}
	switch op {
	case OpPing:
		m.Kind = KindPing
	case OpPong:
		m.Kind = KindPong
	case OpClose:
		m.Kind = KindClose
		var err error
		m.Code, m.Reason, err = ParseClosePayload(payload)
		if err != nil {
			return Message{}, err
		}
	}
	return m, nil
}
