package tlsconn

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// kernelSide is the server end of a loopback TCP connection as a
// blocking descriptor for startKernel, and the client end.
func kernelSide(t *testing.T) (fd int, client net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	client, err = net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	f, err := a.(*net.TCPConn).File()
	a.Close()
	if err != nil {
		t.Fatal(err)
	}
	fd = int(f.Fd()) // f keeps its descriptor open until it is collected
	t.Cleanup(func() { f.Close(); client.Close() })
	if err := unix.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	_ = client.SetDeadline(time.Now().Add(30 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 30})
	return fd, client
}

// clientOpen reads records from c until cli has opened want bytes of
// application data, or a record ended the connection (err); want 0:
// until whole records were read.
func clientOpen(t *testing.T, c net.Conn, cli *records, want int) ([]byte, error) {
	t.Helper()
	var got []byte
	buf := make([]byte, 64<<10)
	for len(got) < want || want == 0 {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("client read after %d bytes: %v", len(got), err)
		}
		var reply []byte
		got, reply, err = cli.open(got, buf[:n])
		if err != nil || len(reply) > 0 || want == 0 && cli.partial == nil {
			return got, err
		}
	}
	return got, nil
}

// serverOpen reads with kernelRecords until it has want bytes of
// application data or open returns an error.
func serverOpen(t *testing.T, k *kernelRecords, want int) ([]byte, []byte, error) {
	t.Helper()
	var got []byte
	buf := make([]byte, 64<<10)
	for len(got) < want || want == 0 {
		n, err := k.read(k.fd, buf)
		if err != nil || n == 0 {
			t.Fatalf("server read after %d bytes: %d %v", len(got), n, err)
		}
		var reply []byte
		if got, reply, err = k.open(got, buf[:n]); err != nil || want == 0 {
			return got, reply, err
		}
	}
	return got, nil, nil
}

// TestKernelTLSSuites hands a connection in the middle of its life to the
// kernel with each TLS 1.3 suite (needs kernel TLS: make ktls-vm): the
// client first sends two records the package's record layer opens, the
// server seals three in user space (as crypto/tls's NewSessionTickets
// are), then the kernel takes both directions from those sequence
// numbers. Data goes both ways through the kernel (the client is the
// package's own record layer, so every byte the kernel wrote is checked
// by a second implementation); a client KeyUpdate that requests ours
// either moves both directions on (a kernel that rekeys) or ends the
// connection with internal_error, counted; close_notify is answered with
// close_notify. /proc/net/tls_stat must count the sockets and records.
func TestKernelTLSSuites(t *testing.T) {
	needKernelTLS(t)
	for _, id := range suiteIDs {
		t.Run(tls.CipherSuiteName(id), func(t *testing.T) { kernelSuite(t, id) })
	}
}

func kernelSuite(t *testing.T, id uint16) {
	before := tlsStat()
	fd, c := kernelSide(t)
	srv, cli := pair(t, id)
	s := &suites[srv.suite]

	// user space first: 2 records in, 3 out
	var in []byte
	for _, p := range []string{"one", "two"} {
		b, _ := cli.seal([]byte(p))
		in = append(in, b...)
	}
	if _, err := c.Write(in); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var plain []byte
	for len(plain) < 6 {
		n, err := unix.Read(fd, buf)
		if err != nil || n == 0 {
			t.Fatalf("read: %v", err)
		}
		var reply []byte
		if plain, reply, err = srv.open(plain, buf[:n]); err != nil || reply != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"a", "b", "c"} {
		b, _ := srv.seal([]byte(p))
		if _, err := unix.Write(fd, b); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := clientOpen(t, c, cli, 3); err != nil || string(got) != "abc" {
		t.Fatalf("user-space records: %q %v", got, err)
	}
	if srv.in.seq != 2 || srv.out.seq != 3 {
		t.Fatalf("sequence numbers %d %d", srv.in.seq, srv.out.seq)
	}

	var events []KernelEvent
	k, err := startKernel(fd, srv, func(e KernelEvent) { events = append(events, e) })
	if err != nil {
		t.Fatalf("startKernel: %v", err)
	}
	if !k.tx {
		t.Fatal("the kernel refused TLS_TX")
	}

	exchange := func(n int) {
		t.Helper()
		down := make([]byte, n)
		_, _ = rand.Read(down)
		if p, err := k.seal(down); err != nil || !bytes.Equal(p, down) {
			t.Fatal("seal through the kernel must pass plaintext")
		}
		go func() { _, _ = unix.Write(fd, down) }()
		if got, err := clientOpen(t, c, cli, n); err != nil || !bytes.Equal(got, down) {
			t.Fatalf("server to client through the kernel: %d bytes, %v", len(got), err)
		}
		up := make([]byte, n)
		_, _ = rand.Read(up)
		rec, _ := cli.seal(up)
		go func() { _, _ = c.Write(rec) }()
		if got, _, err := serverOpen(t, k, n); err != nil || !bytes.Equal(got, up) {
			t.Fatalf("client to server through the kernel: %d bytes, %v", len(got), err)
		}
	}
	exchange(40000)

	// client KeyUpdate, update_requested
	ku := cli.appendRecord(nil, cli.writeAEAD(), recordHandshake, []byte{typeKeyUpdate, 0, 0, 1, 1})
	cli.out.update(s)
	cli.rekeyed()
	if _, err := c.Write(ku); err != nil {
		t.Fatal(err)
	}
	_, reply, err := serverOpen(t, k, 0)
	if len(reply) > 0 {
		t.Fatal("the kernel path returned a record for the poller to write")
	}
	switch {
	case err == nil: // the kernel took the new read key; ours went out
		t.Logf("KeyUpdate: the kernel rekeyed both directions")
		if _, err := clientOpen(t, c, cli, 0); err != nil || cli.in.secret != srv.out.secret {
			t.Fatalf("client reading our KeyUpdate: %v", err)
		}
		exchange(20000)
	case err == (AlertError{Alert: AlertInternalError}):
		t.Logf("KeyUpdate: this kernel cannot rekey TLS 1.3; ended with internal_error")
		if len(events) != 1 || events[0] != KernelRekeyUnsupported {
			t.Fatalf("events %v, want rekey_unsupported", events)
		}
		if _, err := clientOpen(t, c, cli, 0); err != (AlertError{Alert: AlertInternalError, Remote: true}) {
			t.Fatalf("client read %v, want internal_error", err)
		}
		checkStat(t, before)
		closeNotifyOnly(t, id)
		return
	default:
		t.Fatalf("KeyUpdate: %v", err)
	}

	closeNotify(t, k, c, cli)
	checkStat(t, before)
}

// closeNotifyOnly hands a fresh connection to the kernel and closes it
// with close_notify from the client.
func closeNotifyOnly(t *testing.T, id uint16) {
	fd, c := kernelSide(t)
	srv, cli := pair(t, id)
	k, err := startKernel(fd, srv, nil)
	if err != nil || !k.tx {
		t.Fatalf("startKernel: %v", err)
	}
	closeNotify(t, k, c, cli)
}

func closeNotify(t *testing.T, k *kernelRecords, c net.Conn, cli *records) {
	t.Helper()
	a := cli.closeAlert(AlertCloseNotify)
	if _, err := c.Write(a); err != nil {
		t.Fatal(err)
	}
	if _, _, err := serverOpen(t, k, 0); err != (AlertError{Alert: AlertCloseNotify, Remote: true}) {
		t.Fatalf("server read %v, want close_notify", err)
	}
	cli.closed = false // the client reads our answer
	if _, err := clientOpen(t, c, cli, 0); err != (AlertError{Alert: AlertCloseNotify, Remote: true}) {
		t.Fatalf("client read %v, want close_notify", err)
	}
	if _, err := k.seal([]byte("late")); err != ErrClosed {
		t.Fatalf("seal after close_notify: %v", err)
	}
	_ = unix.Shutdown(k.fd, unix.SHUT_RDWR)
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("after close: %v", err)
	}
}

// checkStat: the kernel counted the sockets it protected in software
// both ways, and no record failed to decrypt.
func checkStat(t *testing.T, before map[string]int64) {
	t.Helper()
	after := tlsStat()
	if after == nil {
		t.Fatal("no /proc/net/tls_stat")
	}
	for _, name := range []string{"TlsTxSw", "TlsRxSw"} {
		if after[name] <= before[name] {
			t.Fatalf("%s %d -> %d: the kernel did not protect this connection", name, before[name], after[name])
		}
	}
	if d := after["TlsDecryptError"] - before["TlsDecryptError"]; d != 0 {
		t.Fatalf("TlsDecryptError +%d", d)
	}
	t.Logf("tls_stat: %v", after)
	if os.Getenv("FANOUT_KTLS_REQUIRE") != "" {
		t.Logf("kernel: %s", kernelRelease())
	}
}

func kernelRelease() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return "?"
	}
	return unix.ByteSliceToString(u.Release[:])
}
