package frame

// data handles a complete data frame whose header passed check. skip bytes
// of payload were already validated as UTF-8, ending in state partial.
func (d *Decoder) data(h Header, payload []byte, skip int, partial utf8State) (Message, error) {
	if h.OpCode == OpContinuation {
		return d.fragment(h.Fin, payload, skip, partial)
	}
	compressed := h.Rsv&rsv1 != 0
	if h.Fin && compressed {
		return d.inflateMessage(h.OpCode, payload)
	}
	if h.Fin {
		if h.OpCode == OpText {
			if err := d.feedText(payload, skip, partial, true); err != nil {
				return Message{}, err
			}
		}
		return Message{Kind: KindData, OpCode: h.OpCode, Payload: payload}, nil
	}
	d.op = h.OpCode
	d.flags |= flagInMessage
	if compressed {
		d.flags |= flagCompressed
	}
	d.buf = getBuf()
	return d.fragment(false, payload, skip, partial)
}

// fragment appends a fragment to the message in flight and completes the
// message on fin.
func (d *Decoder) fragment(fin bool, payload []byte, skip int, partial utf8State) (Message, error) {
	compressed := d.has(flagCompressed)
	if d.op == OpText && !compressed {
		if err := d.feedText(payload, skip, partial, fin); err != nil {
			return Message{}, err
		}
	}
	*d.buf = append(*d.buf, payload...)
	if !fin {
		return Message{}, nil
	}
	d.flags &^= flagInMessage | flagCompressed
	if compressed {
		return d.inflateMessage(d.op, *d.buf)
	}
	return Message{Kind: KindData, OpCode: d.op, Payload: *d.buf}, nil
}

// feedText validates payload as the next part of the text message in
// flight; on fin the message must end on a rune boundary.
func (d *Decoder) feedText(payload []byte, skip int, partial utf8State, fin bool) error {
	st := d.text
	if skip > 0 {
		st, payload = partial, payload[skip:]
	}
	if !st.feed(payload) || (fin && !st.complete()) {
		return badUTF8()
	}
	if fin {
		st = utf8State{}
	}
	d.text = st
	return nil
}

// inflateMessage inflates src, the whole compressed message, into a fresh
// pooled buffer that replaces d.buf (src may live in d.buf).
func (d *Decoder) inflateMessage(op OpCode, src []byte) (Message, error) {
	out := getBuf()
	res, err := inflate((*out)[:0], src, d.limit())
	*out = res
	if d.buf != nil {
		putBuf(d.buf)
	}
	d.buf = out
	if err != nil {
		return Message{}, err
	}
	if op == OpText && !validUTF8(res) {
		return Message{}, badUTF8()
	}
	return Message{Kind: KindData, OpCode: op, Payload: res}, nil
}
