package bench

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/fanout/fanout/bench/internal/pushersig"
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

// socketID reads socket_id from a pusher:connection_established
// message, whose data is a JSON object encoded as a string.
func socketID(msg []byte) string {
	raw, ok := stringField(msg, "data")
	if !ok {
		return ""
	}
	data, err := strconv.Unquote(`"` + string(raw) + `"`)
	if err != nil {
		return ""
	}
	id, _ := stringField([]byte(data), "socket_id")
	return string(id)
}

// subscribe is c's pusher:subscribe message for the connection whose
// pusher:connection_established message is established: private and
// presence channels carry the HMAC auth over the socket id (and, for
// presence, the user's channel_data), as a Pusher auth endpoint would
// sign it.
func (c *client) subscribe(established []byte) []byte {
	ch := c.channel
	private := strings.HasPrefix(ch, "private-")
	presence := strings.HasPrefix(ch, "presence-")
	if !private && !presence {
		return subscribeMsg(ch)
	}
	cfg := &c.w.cfg
	var data string
	if presence {
		data = presenceData(cfg.Auth.sub(c.g))
	}
	b := []byte(`{"event":"pusher:subscribe","data":{"channel":`)
	b = strconv.AppendQuote(b, ch)
	b = append(b, `,"auth":`...)
	b = strconv.AppendQuote(b, pushersig.ChannelAuth(cfg.Key, cfg.Secret, socketID(established), ch, data))
	if presence {
		b = append(b, `,"channel_data":`...)
		b = strconv.AppendQuote(b, data)
	}
	return append(b, "}}"...)
}

// clientEventMsg is client event event on channel with data.
func clientEventMsg(event, channel string, data []byte) []byte {
	b := []byte(`{"event":`)
	b = strconv.AppendQuote(b, event)
	b = append(b, `,"channel":`...)
	b = strconv.AppendQuote(b, channel)
	b = append(b, `,"data":"`...)
	b = append(b, data...) // bench data: no characters that need escaping
	return append(b, `"}`...)
}
