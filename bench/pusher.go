package bench

import (
	"bytes"
	"strconv"
)

// stringField returns the raw (still escaped) value of the top-level
// string field key in the JSON object msg, scanning rather than
// decoding: the harness reads every delivered event on the hot path.
// ok is false when the field is missing or not a string.
func stringField(msg []byte, key string) (val []byte, ok bool) {
	pat := make([]byte, 0, 32)
	pat = append(pat, '"')
	pat = append(pat, key...)
	pat = append(pat, '"')
	i := bytes.Index(msg, pat)
	if i < 0 {
		return nil, false
	}
	rest := skipSpace(msg[i+len(pat):])
	if len(rest) == 0 || rest[0] != ':' {
		return nil, false
	}
	rest = skipSpace(rest[1:])
	if len(rest) == 0 || rest[0] != '"' {
		return nil, false
	}
	rest = rest[1:]
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '"':
			return rest[:j], true
		}
	}
	return nil, false
}

func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	return b
}

// benchPrefix starts the data of every event the harness publishes:
// "bench:<seq>:<send unix ns>:<padding>".
const benchPrefix = "bench:"

// appendBenchData appends the data string for event seq sent at ns,
// padded with 'x' to size bytes.
func appendBenchData(dst []byte, seq uint64, ns int64, size int) []byte {
	start := len(dst)
	dst = append(dst, benchPrefix...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, ':')
	dst = strconv.AppendInt(dst, ns, 10)
	dst = append(dst, ':')
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return dst
}

// parseBenchData reads seq and the send time back from a data string.
func parseBenchData(data []byte) (seq uint64, ns int64, ok bool) {
	if !bytes.HasPrefix(data, []byte(benchPrefix)) {
		return 0, 0, false
	}
	data = data[len(benchPrefix):]
	i := bytes.IndexByte(data, ':')
	if i < 0 {
		return 0, 0, false
	}
	seq, ok = atou(data[:i])
	data = data[i+1:]
	j := bytes.IndexByte(data, ':')
	if j < 0 || !ok {
		return 0, 0, false
	}
	u, ok := atou(data[:j])
	return seq, int64(u), ok
}

func atou(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return v, true
}

// subscribeMsg is the pusher:subscribe message for a public channel.
func subscribeMsg(channel string) []byte {
	b := []byte(`{"event":"pusher:subscribe","data":{"channel":`)
	b = strconv.AppendQuote(b, channel)
	return append(b, "}}"...)
}

var pongMsg = []byte(`{"event":"pusher:pong","data":{}}`)
