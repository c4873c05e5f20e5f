package interop

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/internal/chaos"
	"github.com/fanout/fanout/internal/ledger"
)

// Sixteen keep-alive publishers through the shipped deploy/nginx.conf while one
// of two nodes sharing a Redis drains (SIGTERM): nginx never answers 502
// (a publish it passed on and lost, which it will not send again), every
// publish is answered 200 (or 503 with Retry-After), and every 200
// reaches a subscriber on the other node (the loss ledger judges).
func TestNginxPublishesThroughADrain(t *testing.T) {
	nginx := daemonPath(t, "nginx")
	dir := t.TempDir()
	bin := buildFanout(t)
	redisURL := startRedisServer(t)
	cfg := filepath.Join(dir, "fanout.yaml")
	writeFile(t, cfg, fmt.Sprintf(proxyNodesConfig, time.Second))
	var nodes []*serveProcess
	for range 2 {
		nodes = append(nodes, startServe(t, bin, "--config", cfg, "--redis-url", redisURL))
	}
	for _, n := range nodes {
		n.waitStatus(t, "/readyz", http.StatusOK)
	}
	pki := newTestPKI(t, dir)
	nginxAddr := startNginx(t, nginx, dir, []string{nodes[0].addr, nodes[1].addr}, pki)

	l := ledger.New()
	sub, err := chaos.Dial("ws://"+nodes[1].addr+"/app/app-key?protocol=7&client=drain&version=1", l.Session("sub"), chaos.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)
	const publishers = 16
	var channels []string
	for i := range publishers {
		channels = append(channels, fmt.Sprintf("nginx-%d", i))
		if err := sub.Subscribe(channels[i], "", 10*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pki.pool}, MaxIdleConnsPerHost: publishers}}
	publish := func(channel string, seq int) string {
		body, _ := json.Marshal(map[string]any{"name": chaos.LedgerEvent, "channel": channel, "data": ledger.Payload(seq, time.Now())})
		path := "/apps/app-id/events"
		q := auth.SignRequest("POST", path, nil, body, "app-key", "app-secret", time.Now())
		resp, err := client.Post("https://"+nginxAddr+path+"?"+q.Encode(), "application/json", bytes.NewReader(body))
		if err != nil {
			l.Refused(channel, seq, 0)
			return "transport error: " + err.Error()
		}
		defer resp.Body.Close()
		text, _ := io.ReadAll(resp.Body)
		l.Record(channel, seq, resp.StatusCode)
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
			return "503 without Retry-After: " + string(text)
		}
		return fmt.Sprint(resp.StatusCode)
	}

	var mu sync.Mutex
	outcomes := map[string]int{}
	count := func(o string) { mu.Lock(); outcomes[o]++; mu.Unlock() }
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for _, ch := range channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50000 && ctx.Err() == nil; i++ {
				count(publish(ch, l.Next(ch)))
			}
		}()
	}
	if _, ok := chaos.Eventually(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return outcomes["200"] >= 200 }); !ok {
		t.Fatalf("publishes through nginx before SIGTERM: %v", outcomes)
	}
	if err := nodes[0].cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-nodes[0].exited:
	case <-time.After(30 * time.Second):
		t.Fatal("the drained node did not exit within 30s")
	}
	// Traffic goes on a while on the other node alone.
	mu.Lock()
	after := outcomes["200"] + 200
	mu.Unlock()
	chaos.Eventually(10*time.Second, func() bool { mu.Lock(); defer mu.Unlock(); return outcomes["200"] >= after })
	cancel()
	wg.Wait()
	if nodes[0].err != nil {
		t.Errorf("drained node: %v, want exit 0", nodes[0].err)
	}
	t.Logf("publishes through nginx: %v", outcomes)
	for o, k := range outcomes {
		if o != "200" && o != "503" {
			t.Errorf("%d publishes through nginx ended %q: want 200, or 503 with Retry-After", k, o)
		}
	}
	chaos.Eventually(10*time.Second, func() bool { return l.Check(ledger.Options{}).OK() })
	if r := l.Check(ledger.Options{}); !r.OK() {
		t.Error(r)
	} else {
		t.Log(r)
	}
}
