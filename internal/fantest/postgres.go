package fantest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Postgres starts a throw-away PostgreSQL server (Debian's postgresql
// package: initdb and postgres on PATH or under /usr/lib/postgresql) on
// a free loopback port, with trust authentication for user fanout, and
// returns its URL (database postgres). It is stopped when the test ends.
// As root the server runs as nobody, since postgres refuses root.
func Postgres(t testing.TB) string {
	t.Helper()
	initdb, postgres := pgBinary(t, "initdb"), pgBinary(t, "postgres")
	dir, err := os.MkdirTemp("", "fanout-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var runAs []string
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("postgres refuses root and there is no user nobody: %v", err)
		}
		uid, _ := strconv.Atoi(nobody.Uid)
		gid, _ := strconv.Atoi(nobody.Gid)
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		runAs = []string{"runuser", "-u", "nobody", "--"}
	}
	data := filepath.Join(dir, "data")
	argv := append(append([]string(nil), runAs...), initdb, "-D", data, "-U", "fanout", "--auth=trust", "--no-sync")
	if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	argv = append(append([]string(nil), runAs...), postgres, "-D", data, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off")
	srv := exec.Command(argv[0], argv[1:]...)
	logf, _ := os.Create(filepath.Join(dir, "log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Process.Kill(); _ = srv.Wait() })
	url := fmt.Sprintf("postgres://fanout@127.0.0.1:%d/postgres?sslmode=disable", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, url)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return url
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			t.Fatalf("postgres did not accept connections: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond) // polling readiness, bounded above
	}
}

// pgBinary finds a PostgreSQL program on PATH or in Debian's versioned
// directory.
func pgBinary(t testing.TB, name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) > 0 {
		return m[len(m)-1]
	}
	t.Fatalf("%s not found: install Debian's postgresql (make deps-apt)", name)
	return ""
}

// Exec runs SQL statements on the database at url.
func Exec(t testing.TB, url string, sql ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for _, q := range sql {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}
