package pusher_test

import (
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/frame"
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

// A client that asks the server to keep to a 2^9-byte window (as the
// Autobahn cases 13.3.x and 13.5.x do) gets compression with that window:
// the answer names server_max_window_bits=9 and a broadcast arrives as the
// frame compressed for that window, which decodes to the event.
func TestDeflateSmallServerWindowBroadcast(t *testing.T) {
	cfg := fantest.Config()
	cfg.Apps[0].Deflate = true
	n := fantest.Start(t, cfg, nil)
	const ext = "permessage-deflate; server_max_window_bits=9; client_max_window_bits"
	up := rawUpgrade(t, n.Addr(), "/app/app-key?protocol=7&client=e2e&version=1.0", map[string]string{"Sec-WebSocket-Extensions": ext})
	if got := up.header.Get("Sec-WebSocket-Extensions"); up.status != 101 || !strings.Contains(got, "server_max_window_bits=9") {
		t.Fatalf("upgrade %d, extensions %q: want the offer accepted with server_max_window_bits=9", up.status, got)
	}
	small := fantest.Dial(t, n.URL("app-key"), http.Header{"Sec-WebSocket-Extensions": {ext}})
	full := fantest.Dial(t, n.URL("app-key"), http.Header{"Sec-WebSocket-Extensions": {"permessage-deflate"}})
	small.Subscribe("news")
	full.Subscribe("news")
	var data strings.Builder
	for i := range 300 {
		fmt.Fprintf(&data, "item %d of a long-range repeat; ", i%40)
	}
	if st, body := n.Publish(t, cfg.Apps[0], "news", "big", data.String()); st != 200 {
		t.Fatalf("publish %d %s", st, body)
	}
	hs, ps := readFrame(t, small)
	hf, pf := readFrame(t, full)
	if !hs.Rsv1() || !hf.Rsv1() || !bytes.Equal(ps, pf) || !strings.Contains(string(ps), "long-range repeat") {
		t.Fatalf("rsv1 %v/%v, payloads differ %v", hs.Rsv1(), hf.Rsv1(), !bytes.Equal(ps, pf))
	}
	want, err := frame.AppendCompressedMessageWindow(nil, frame.OpText, ps, 9)
	if err != nil {
		t.Fatal(err)
	}
	if wh, _, _ := frame.ParseHeader(want); wh.Length != hs.Length || hs.Length <= hf.Length {
		t.Fatalf("window-9 frame of %d bytes (full window %d), want %d as compressed for 2^9", hs.Length, hf.Length, wh.Length)
	}
}
