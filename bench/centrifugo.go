package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
)

// Centrifugo's JSON client protocol (centrifugal.dev/docs/transports/
// client_protocol): commands carry an id that the reply repeats; a
// frame may hold several replies separated by newlines; an empty
// object from the server is a ping, answered with an empty object.
var (
	centrifugoConnect = []byte(`{"id":1,"connect":{"name":"fanout-bench"}}`)
	centrifugoPong    = []byte(`{}`)
)

// centrifugoMessages handles the newline-separated replies of one frame.
func (c *client) centrifugoMessages(frame []byte) {
	for len(frame) > 0 {
		line := frame
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = nil
		}
		if len(line) > 0 {
			c.centrifugoReply(line)
		}
	}
}

func (c *client) centrifugoReply(msg []byte) {
	switch {
	case bytes.HasPrefix(msg, []byte(`{"push":`)):
		c.delivery(msg) // {"push":{"channel":..,"pub":{"data":"bench:.."}}}
	case bytes.Equal(msg, []byte(`{}`)):
		c.write(opText, centrifugoPong)
	case bytes.Contains(msg, []byte(`"error":`)):
		c.fail("centrifugo error: " + string(msg[:min(len(msg), 80)]))
	case bytes.HasPrefix(msg, []byte(`{"id":1,`)):
		b := []byte(`{"id":2,"subscribe":{"channel":`)
		b = strconv.AppendQuote(b, c.channel)
		c.write(opText, append(b, "}}"...))
	case bytes.HasPrefix(msg, []byte(`{"id":2,`)):
		if c.state.CompareAndSwap(stOpen, stSubscribed) {
			c.w.onSubscribed(c)
		}
	}
}

// postCentrifugo publishes data (a string with nothing to escape) to
// channel through Centrifugo's HTTP API, POST /api/publish with the
// X-API-Key header; it returns "" on success, else the reason.
func postCentrifugo(ctx context.Context, client *http.Client, o *Options, channel string, data []byte) string {
	body := make([]byte, 0, len(data)+len(channel)+32)
	body = append(body, `{"channel":`...)
	body = strconv.AppendQuote(body, channel)
	body = append(body, `,"data":"`...)
	body = append(body, data...)
	body = append(body, `"}`...)
	req, err := http.NewRequestWithContext(ctx, "POST", o.APIURL+"/api/publish", bytes.NewReader(body))
	if err != nil {
		return "request"
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-Key", o.AppSecret)
	resp, err := client.Do(req)
	if err != nil {
		return "http: " + transportReason(err)
	}
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "http " + strconv.Itoa(resp.StatusCode)
	}
	if bytes.Contains(reply, []byte(`"error"`)) {
		return "centrifugo error"
	}
	return ""
}
