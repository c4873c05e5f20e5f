package pusher_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/auth"
	"github.com/fanout/fanout/config"
	"github.com/fanout/fanout/internal/fantest"
)

// BenchmarkUpgrade measures full WebSocket upgrades over loopback (TCP
// connect, upgrade request, 101, pusher:connection_established, close),
// with auth off and with an HS256 token verified on every upgrade, in one
// run so the two rates are comparable. See BENCHMARKS.md.
//
//	go test -run '^$' -bench BenchmarkUpgrade -benchtime 20000x ./pusher
func BenchmarkUpgrade(b *testing.B) {
	off := e2eApp("bench-off")
	off.Auth.Mode = config.AuthOff
	hs := e2eApp("bench-hs256")
	cfg := fantest.Config()
	cfg.Apps = []config.App{off, hs}
	n := fantest.Start(b, cfg, nil)
	tok, err := auth.Mint(hs.Secret, auth.MintOptions{Subject: "bench", TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("auth=off", func(b *testing.B) { benchUpgrades(b, n.Addr(), upgradeRequest(off.Key, n.Addr(), "")) })
	b.Run("auth=HS256", func(b *testing.B) { benchUpgrades(b, n.Addr(), upgradeRequest(hs.Key, n.Addr(), tok)) })
}

// upgradeRequest is the raw upgrade of app key, with a bearer token when
// tok is not "".
func upgradeRequest(key, host, tok string) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "GET /app/%s?protocol=7&client=bench&version=1.0 HTTP/1.1\r\nHost: %s\r\n", key, host)
	buf.WriteString("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
	if tok != "" {
		buf.WriteString("Authorization: Bearer " + tok + "\r\n")
	}
	buf.WriteString("\r\n")
	return buf.Bytes()
}

// benchUpgrades runs upgrades from parallel clients. Source addresses are
// spread over 127.0.0.2-254 and sockets are reset on close (no TIME_WAIT),
// so a long run does not run out of ephemeral ports.
func benchUpgrades(b *testing.B, addr string, req []byte) {
	var next atomic.Uint32
	b.ReportAllocs()
	b.SetParallelism(8) // 8×GOMAXPROCS clients: measure the server, not one client's round trips
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 4096)
		for pb.Next() {
			src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+next.Add(1)%253))}
			if err := upgradeOnce(addr, src, req, buf); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "upgrades/s")
}

// upgradeOnce dials, upgrades, waits for connection_established, resets.
func upgradeOnce(addr string, src *net.TCPAddr, req, buf []byte) error {
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
	r := bufio.NewReaderSize(tc, len(buf))
	line, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(line, []byte("HTTP/1.1 101")) {
		return fmt.Errorf("upgrade: %q", line)
	}
	for { // the rest of the head, then the first frame
		line, err = r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
	}
	return readEstablished(r, buf)
}

// readEstablished reads the server's first frame (unmasked text) and
// checks it is pusher:connection_established.
func readEstablished(r *bufio.Reader, buf []byte) error {
	if _, err := io.ReadFull(r, buf[:2]); err != nil {
		return err
	}
	n := int(buf[1] & 0x7f)
	if n == 126 {
		if _, err := io.ReadFull(r, buf[:2]); err != nil {
			return err
		}
		n = int(binary.BigEndian.Uint16(buf))
	}
	if n > len(buf) {
		return fmt.Errorf("first frame of %d bytes", n)
	}
	if _, err := io.ReadFull(r, buf[:n]); err != nil {
		return err
	}
	if !bytes.Contains(buf[:n], []byte("pusher:connection_established")) {
		return fmt.Errorf("first frame %q", buf[:n])
	}
	return nil
}
