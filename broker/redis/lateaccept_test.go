package redis_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
)

// TestNoAcceptAfterDeadline: a publish whose caller's deadline (shorter
// than Options.Timeout, as an outbox or presence publish may have)
// passes while Redis is frozen must not be accepted when Redis resumes
// and runs it: it ran after its deadline, and late.go lets every node
// drop a publication that ran after one sent past its deadline, which
// is safe only for publications that were refused. Redis is frozen for
// three times the deadline, eight times over.
func TestNoAcceptAfterDeadline(t *testing.T) {
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprintf("strict=%v", strict), func(t *testing.T) {
			srv := startRedis(t)
			o := redis.Options{URL: srv.URL(), NodeTTL: 30 * time.Second, StrictRefusals: strict}
			pub := startBroker(t, o, &countHandler{})
			if err := publishData(pub, "x", "warm-up"); err != nil {
				t.Fatal(err)
			}
			const dl = 150 * time.Millisecond
			accepted := 0
			for i := range 8 {
				_ = srv.cmd.Process.Signal(syscall.SIGSTOP)
				done := make(chan error, 1)
				go func() {
					ctx, cancel := context.WithTimeout(context.Background(), dl)
					defer cancel()
					done <- pub.Publish(ctx, broker.Publication{App: "app", Channel: "x", Event: "e", Data: fmt.Sprint(i)})
				}()
				time.Sleep(3 * dl) // the freeze's length, not a wait for an outcome
				_ = srv.cmd.Process.Signal(syscall.SIGCONT)
				if err := <-done; err == nil {
					accepted++
				}
			}
			if accepted > 0 {
				t.Fatalf("%d of 8 publishes accepted although Redis ran them after their deadline", accepted)
			}
		})
	}
}
