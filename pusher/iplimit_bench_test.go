package pusher_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// BenchmarkPerIPRefusal compares, in one run, full upgrades with
// upgrades refused by the per-address limit (one source address over its
// connections: 429 before the upgrade, the socket closed once the answer
// is written). See BENCHMARKS.md.
//
//	go test -run '^$' -bench BenchmarkPerIPRefusal -benchtime 20000x ./pusher
func BenchmarkPerIPRefusal(b *testing.B) {
	app := e2eApp("bench-ip")
	app.Auth.Mode = config.AuthOff
	cfg := fantest.Config()
	cfg.Apps = []config.App{app}
	open := fantest.Start(b, cfg, nil) // loopback exempt, as by default
	cfg.Limits.Exempt = []string{}
	cfg.Limits.MaxConnectionsPerIP = 1
	limited := fantest.Start(b, cfg, nil)
	b.Run("upgraded", func(b *testing.B) { benchUpgrades(b, open.Addr(), upgradeRequest(app.Key, open.Addr(), "")) })
	b.Run("refused_429", func(b *testing.B) {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 200)}
		req := upgradeRequest(app.Key, limited.Addr(), "")
		d := net.Dialer{LocalAddr: src}
		held, err := d.Dial("tcp", limited.Addr()) // the address's one connection
		if err != nil {
			b.Fatal(err)
		}
		defer held.Close()
		if _, err := held.Write(req); err != nil {
			b.Fatal(err)
		}
		if line, err := bufio.NewReader(held).ReadSlice('\n'); err != nil || !bytes.HasPrefix(line, []byte("HTTP/1.1 101")) {
			b.Fatalf("the held connection: %q %v", line, err)
		}
		b.ReportAllocs()
		b.SetParallelism(8)
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := refusedOnce(limited.Addr(), src, req); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "refusals/s")
	})
}

// refusedOnce dials from src, sends req and expects 429, then resets.
func refusedOnce(addr string, src *net.TCPAddr, req []byte) error {
	d := net.Dialer{LocalAddr: src, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	tc := nc.(*net.TCPConn)
	defer func() { _ = tc.SetLinger(0); tc.Close() }()
	_ = tc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := tc.Write(req); err != nil {
		return err
	}
	line, err := bufio.NewReader(tc).ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 429")) {
		return fmt.Errorf("want 429, got %q", line)
	}
	return nil
}
