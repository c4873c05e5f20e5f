package pusher_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

func TestPublishReachesSubscribersButNotExcludedSocket(t *testing.T) {
	cfg := fantest.Config()
	n := fantest.Start(t, cfg, nil)
	a := fantest.Dial(t, n.URL("app-key"), nil)
	b := fantest.Dial(t, n.URL("app-key"), nil)
	other := fantest.Dial(t, n.URL("app-key"), nil)
	a.Subscribe("news")
	b.Subscribe("news")
	other.Subscribe("sports")
	body, _ := json.Marshal(map[string]any{"name": "flash", "channel": "news", "data": `{"x":1}`, "socket_id": a.SocketID})
	if st, resp := n.API(t, cfg.Apps[0], "POST", "/apps/app-id/events", nil, body); st != 200 {
		t.Fatalf("publish: %d %s", st, resp)
	}
	ev := b.Expect("flash")
	if ev.Channel != "news" || ev.DataString() != `{"x":1}` {
		t.Fatalf("b got %+v", ev)
	}
	if ev, err := a.NextErr(300 * time.Millisecond); err == nil {
		t.Fatalf("excluded socket got %+v", ev)
	}
	if ev, err := other.NextErr(300 * time.Millisecond); err == nil {
		t.Fatalf("unsubscribed socket got %+v", ev)
	}
}

func TestCloseCodesForBadUpgrades(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	base := "ws://" + n.Addr()
	cases := []struct {
		url  string
		code int
	}{
		{base + "/app/nope?protocol=7", 4001},
		{base + "/elsewhere", 4005},
		{base + "/app/app-key?protocol=x", 4006},
		{base + "/app/app-key?protocol=3", 4007},
		{base + "/app/app-key", 4008},
	}
	for _, tc := range cases {
		c, err := fantest.DialErr(t, tc.url, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.url, err)
		}
		code, err := c.CloseCode(3 * time.Second)
		if err != nil || int(code) != tc.code {
			t.Errorf("%s: close %d (%v), want %d", tc.url, code, err, tc.code)
		}
	}
}

func TestBadJSONAndUnknownEventKeepConnectionOpen(t *testing.T) {
	n := fantest.Start(t, fantest.Config(), nil)
	c := fantest.Dial(t, n.URL("app-key"), nil)
	c.SendRaw([]byte("{not json"))
	if ev := c.Next(); ev.Event != "pusher:error" || !strings.Contains(string(ev.Data), "4300") {
		t.Fatalf("bad JSON: %+v", ev)
	}
	c.Send("pusher:nonsense", map[string]string{})
	if ev := c.Next(); ev.Event != "pusher:error" {
		t.Fatalf("unknown event: %+v", ev)
	}
	c.Send("pusher:ping", map[string]string{})
	if ev := c.Next(); ev.Event != "pusher:pong" {
		t.Fatalf("ping: %+v", ev)
	}
}
