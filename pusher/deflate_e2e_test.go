package pusher_test

import (
	"bytes"
	"compress/flate"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
	"github.com/gobwas/ws"
)

// readFrame reads one server frame and returns its header and payload
// (inflated when RSV1 says it is compressed).
func readFrame(t *testing.T, c *fantest.Client) (ws.Header, []byte) {
	t.Helper()
	c.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	h, err := ws.ReadHeader(c.Conn)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.Conn, p); err != nil {
		t.Fatal(err)
	}
	if h.Rsv1() {
		r := flate.NewReader(io.MultiReader(bytes.NewReader(p), bytes.NewReader([]byte{0, 0, 0xff, 0xff})))
		out, err := io.ReadAll(r)
		if err != nil && err != io.ErrUnexpectedEOF {
			t.Fatalf("inflate: %v", err)
		}
		p = out
	}
	return h, p
}

func TestDeflateNegotiatedPerAppAndBroadcastCompressed(t *testing.T) {
	cfg := fantest.Config()
	cfg.Apps[0].Deflate = true
	n := fantest.Start(t, cfg, nil)
	offer := http.Header{"Sec-WebSocket-Extensions": {"permessage-deflate; client_max_window_bits"}}
	z := fantest.Dial(t, n.URL("app-key"), offer)
	plain := fantest.Dial(t, n.URL("app-key"), nil)
	z.Subscribe("news")
	plain.Subscribe("news")
	data := strings.Repeat("compressible fan-out payload ", 40)
	if st, body := n.Publish(t, cfg.Apps[0], "news", "big", data); st != 200 {
		t.Fatalf("publish %d %s", st, body)
	}
	h, p := readFrame(t, z)
	if !h.Rsv1() || !strings.Contains(string(p), `"event":"big"`) || !strings.Contains(string(p), "compressible") {
		t.Fatalf("deflate client: rsv1=%v payload %q", h.Rsv1(), p)
	}
	if int(h.Length) >= len(p)/2 {
		t.Fatalf("compressed frame of %d bytes for %d bytes of JSON", h.Length, len(p))
	}
	if ev := plain.Expect("big"); ev.DataString() != data {
		t.Fatalf("plain client got %q", ev.DataString())
	}
}

func TestDeflateOfferIgnoredWhenAppDisablesIt(t *testing.T) {
	cfg := fantest.Config() // deflate off (the default)
	n := fantest.Start(t, cfg, nil)
	offer := http.Header{"Sec-WebSocket-Extensions": {"permessage-deflate"}}
	c := fantest.Dial(t, n.URL("app-key"), offer)
	c.Subscribe("news")
	n.Publish(t, cfg.Apps[0], "news", "big", strings.Repeat("x", 500))
	if h, _ := readFrame(t, c); h.Rsv1() {
		t.Fatal("compressed frame sent although the app did not enable deflate")
	}
}
