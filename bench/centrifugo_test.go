package bench

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestCentrifugoFanout drives a real Centrifugo with --protocol
// centrifugo: every connection subscribes and every published event
// arrives. It runs where Centrifugo is installed (bench/compare.sh puts
// it in bench/peers/centrifugo/bin; or $CENTRIFUGO), else it is skipped.
func TestCentrifugoFanout(t *testing.T) {
	bin := os.Getenv("CENTRIFUGO")
	if bin == "" {
		bin, _ = filepath.Abs("peers/centrifugo/bin/centrifugo")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skip("Centrifugo not installed (bench/compare.sh installs it); set CENTRIFUGO")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	l.Close()
	cfg := filepath.Join(t.TempDir(), "centrifugo.json")
	os.WriteFile(cfg, []byte(`{"client": {"insecure": true, "allowed_origins": ["*"]},
		"http_api": {"key": "app-secret"},
		"http_server": {"address": "127.0.0.1", "port": `+strconv.Itoa(addr.Port)+`}}`), 0o600)
	startPeer(t, addr.String(), bin, "--config", cfg)
	res, err := Execute(testCtx(t), Options{Scenario: "fanout", Protocol: "centrifugo",
		URLs: []string{"ws://" + addr.String()}, Conns: 40, Channels: 4, Workers: 1, Rate: 40,
		Publishers: 2, Duration: 500 * time.Millisecond, Quiet: true}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscribed != 40 || res.Failed != 0 || res.Published == 0 || res.Delivered != res.Published*10 {
		t.Fatalf("subscribed %d failed %d %v published %d delivered %d",
			res.Subscribed, res.Failed, res.Failures, res.Published, res.Delivered)
	}
}
