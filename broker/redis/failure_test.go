package redis_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

func readyz(n node) int {
	resp, err := http.Get(n.HTTPBase() + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRedisKilledAndRestarted: while Redis is down the nodes stay up,
// clients stay connected, /readyz and publishes answer 503; once Redis
// is back (empty), delivery across nodes resumes within 5 s and the
// directory is rebuilt.
func TestRedisKilledAndRestarted(t *testing.T) {
	srv := startRedis(t)
	a := startNode(t, srv.URL(), false, 0)
	b := startNode(t, srv.URL(), false, 0)
	ch := "stream"
	cb := fantest.Dial(t, b.URL("app-key"), nil)
	cb.Subscribe(ch)
	listening(t, b, ch)
	if code, _ := a.Publish(t, a.app, ch, "e", "before"); code != 200 {
		t.Fatalf("publish before: %d", code)
	}
	if ev := nextEvent(t, cb, "e"); ev.DataString() != "before" {
		t.Fatalf("got %q", ev.DataString())
	}

	srv.kill()
	eventually(t, 10*time.Second, "/readyz 503 on both nodes", func() bool { return readyz(a) == 503 && readyz(b) == 503 })
	if code, body := a.Publish(t, a.app, ch, "e", "lost"); code != 503 {
		t.Fatalf("publish while Redis is down: %d %s, want 503", code, body)
	}
	cb.Send("pusher:ping", map[string]string{})
	nextEvent(t, cb, "pusher:pong") // the client is still served

	srv.restart()
	back := time.Now()
	delivered := false
	for i := 0; time.Since(back) < 5*time.Second && !delivered; i++ {
		if code, _ := a.Publish(t, a.app, ch, "e", fmt.Sprint("after-", i)); code == 200 {
			if ev, err := cb.NextErr(100 * time.Millisecond); err == nil && ev.Event == "e" {
				delivered = true
			}
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !delivered {
		t.Fatalf("delivery did not resume within 5s of Redis returning")
	}
	eventually(t, 5*time.Second, "/readyz 200 again", func() bool { return readyz(a) == 200 && readyz(b) == 200 })
	eventually(t, 5*time.Second, "subscription count restored in the empty Redis", func() bool {
		code, body := a.API(t, a.app, "GET", "/apps/"+a.app.ID+"/channels/"+ch, map[string][]string{"info": {"subscription_count"}}, nil)
		return code == 200 && strings.Contains(body, `"subscription_count":1`)
	})
}

// TestNodeStartsWhileRedisIsDown: a standalone node started during a
// Redis outage serves its local clients and answers 503 to /readyz and
// publishes (never a silent drop); once Redis appears, it turns ready,
// subscribes its clients' channels and delivers across nodes within 5 s.
func TestNodeStartsWhileRedisIsDown(t *testing.T) {
	srv := startRedis(t)
	srv.kill() // a free port with nothing behind it
	a := startNode(t, srv.URL(), false, 0)
	ch := "late"
	ca := fantest.Dial(t, a.URL("app-key"), nil)
	ca.Subscribe(ch)
	if code := readyz(a); code != 503 {
		t.Fatalf("/readyz with Redis down at start: %d, want 503", code)
	}
	if code, body := a.Publish(t, a.app, ch, "e", "lost"); code != 503 {
		t.Fatalf("publish with Redis down at start: %d %s, want 503", code, body)
	}
	ca.Send("pusher:ping", map[string]string{})
	nextEvent(t, ca, "pusher:pong") // local clients are served meanwhile

	srv.restart()
	eventually(t, 5*time.Second, "/readyz 200 once Redis is there", func() bool { return readyz(a) == 200 })
	b := startNode(t, srv.URL(), false, 0)
	listening(t, a, ch)
	if code, body := b.Publish(t, b.app, ch, "e", "hello"); code != 200 {
		t.Fatalf("publish on the other node: %d %s", code, body)
	}
	if ev := nextEvent(t, ca, "e"); ev.DataString() != "hello" {
		t.Fatalf("got %q", ev.DataString())
	}
}
