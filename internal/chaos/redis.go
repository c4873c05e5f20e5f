package chaos

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/fantest"
)

const redisHint = "redis-server not found: install it with `apt-get install -y redis-server` (make deps does)"

// Redis is one redis-server process on a free loopback port.
type Redis struct {
	*Proc
	Port int
	bin  string // default redis-server
	args []string
	pass string // requirepass, sent with AUTH before each command; default none
	t    testing.TB
}

// StartRedis starts a standalone redis-server without persistence; extra
// arguments are appended to its command line.
func StartRedis(t testing.TB, extra ...string) *Redis {
	t.Helper()
	return startRedis(t, "", extra...)
}

// startRedis is StartRedis for a server whose requirepass is pass ("":
// none; extra must then set it).
func startRedis(t testing.TB, pass string, extra ...string) *Redis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal(redisHint)
	}
	r := &Redis{Port: fantest.FreeClusterPort(t), pass: pass, t: t}
	r.args = append([]string{"--port", strconv.Itoa(r.Port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no"}, extra...)
	r.start()
	return r
}

func (r *Redis) start() {
	r.t.Helper()
	bin := cmpOr(r.bin, "redis-server")
	r.Proc = start(r.t, bin+":"+strconv.Itoa(r.Port), bin, r.args...)
	if _, ok := Eventually(10*time.Second, func() bool { s, err := r.Do("PING"); return err == nil && s == "+PONG" }); !ok {
		r.t.Fatalf("%s on port %d did not answer PING within 10s", bin, r.Port)
	}
}

// Restart starts the server again on the same port (after Kill).
func (r *Redis) Restart() { r.start() }

// Freeze stops the process (SIGSTOP): its sockets stay open, nothing is
// answered. Thaw resumes it.
func (r *Redis) Freeze() { r.Signal(syscall.SIGSTOP) }

// Thaw resumes a frozen server (SIGCONT).
func (r *Redis) Thaw() { r.Signal(syscall.SIGCONT) }

// Addr is host:port.
func (r *Redis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.Port) }

// URL is the redis:// URL.
func (r *Redis) URL() string { return "redis://" + r.Addr() }

// Do sends one inline command and returns the whole reply, lines joined
// by "\n" (a bulk string's body included).
func (r *Redis) Do(args ...string) (string, error) {
	c, br, err := r.send(args...)
	if err != nil {
		return "", err
	}
	defer c.Close()
	line, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if strings.HasPrefix(line, "$") {
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return "", err
		}
		return string(buf[:n]), nil
	}
	return line, nil
}

// send writes one inline command on a fresh connection (closed by the
// caller) and returns the reader of its reply.
func (r *Redis) send(args ...string) (net.Conn, *bufio.Reader, error) {
	c, err := net.DialTimeout("tcp", r.Addr(), time.Second)
	if err != nil {
		return nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	br := bufio.NewReader(c)
	if r.pass != "" {
		fmt.Fprintf(c, "AUTH %s\r\n", r.pass)
		if line, err := br.ReadString('\n'); err != nil || line != "+OK\r\n" {
			c.Close()
			return nil, nil, fmt.Errorf("AUTH: %q %v", line, err)
		}
	}
	fmt.Fprintf(c, "%s\r\n", strings.Join(args, " "))
	return c, br, nil
}
