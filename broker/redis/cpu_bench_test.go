package redis_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fanout/fanout/broker"
	"github.com/fanout/fanout/broker/redis"
	"github.com/redis/rueidis"
)

// BenchmarkRedisCPUPerPublish measures what a publication costs Redis
// itself, the cluster's one shared part: back-to-back publishes through
// one node to channels another node listens to (so the listener check
// and the pub/sub delivery to that node run), with 1 and 16 concurrent
// publishers. It reports Redis's CPU per publication (used_cpu_user +
// used_cpu_sys of INFO cpu over the run, less Redis's CPU while idle for
// as long) as redis-µs/pub. The "plain" cases send a bare PUBLISH from a
// client of their own, what a broker without the no-loss checks costs,
// as the yardstick. The burst cases send 10 publications per call (one
// batch_events request; a pipeline of 10 PUBLISH), so b.N counts
// publications, not calls.
func BenchmarkRedisCPUPerPublish(b *testing.B) {
	srv := startRedis(b)
	mon := clientOf(b, srv)
	sub, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	h := &countHandler{}
	_ = sub.Start(h)
	channels := make([]string, 100)
	for i := range channels {
		channels[i] = "bench-" + strconv.Itoa(i)
		sub.Subscribe("app-id", channels[i])
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n, _ := mon.Do(context.Background(), mon.B().Scard().Key("{bench:c:app-id:"+channels[len(channels)-1]+"}:l").Build()).AsInt64()
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("subscriber not listed within 10s")
		}
	}
	pub, err := redis.New(redis.Options{URL: srv.URL(), Prefix: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	_ = pub.Start(&countHandler{})
	plain := clientOf(b, srv)

	for _, c := range []struct {
		name              string
		publishers, burst int
		plain             bool
	}{{"fanout/publishers=1", 1, 1, false}, {"fanout/publishers=4", 4, 1, false}, {"fanout/publishers=16", 16, 1, false},
		{"fanout/publishers=4/burst=10", 4, 10, false},
		{"plain/publishers=1", 1, 1, true}, {"plain/publishers=16", 16, 1, true}, {"plain/publishers=4/burst=10", 4, 10, true}} {
		b.Run(c.name, func(b *testing.B) {
			// publish sends publications i to i+burst-1 in one call (a
			// batch_events request), or one pipeline of PUBLISH.
			publish := func(i int) error {
				if c.plain {
					cmds := make(rueidis.Commands, c.burst)
					for k := range cmds {
						ch := channels[(i+k)%len(channels)]
						cmds[k] = plain.B().Publish().Channel("bench:c:app-id:" + ch).Message(`{"a":"app-id","c":"` + ch + `","e":"e","d":"{\"n\":1}"}`).Build()
					}
					for _, r := range plain.DoMulti(context.Background(), cmds...) {
						if err := r.Error(); err != nil {
							return err
						}
					}
					return nil
				}
				ps := make([]broker.Publication, c.burst)
				for k := range ps {
					ps[k] = broker.Publication{App: "app-id", Channel: channels[(i+k)%len(channels)], Event: "e", Data: `{"n":1}`}
				}
				return pub.Publish(context.Background(), ps...)
			}
			idle := redisCPU(b, mon)
			time.Sleep(200 * time.Millisecond) // Redis's idle CPU, measured over a known span
			idleRate := (redisCPU(b, mon) - idle) / (200 * time.Millisecond).Seconds()
			before := redisCPU(b, mon)
			b.ResetTimer()
			var next atomic.Int64
			var wg sync.WaitGroup
			for range c.publishers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := next.Add(int64(c.burst)); i <= int64(b.N); i = next.Add(int64(c.burst)) {
						if err := publish(int(i)); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			used := redisCPU(b, mon) - before - idleRate*b.Elapsed().Seconds()
			b.ReportMetric(used/float64(b.N)*1e6, "redis-µs/pub")
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pubs/s")
		})
	}
}

// redisCPU is Redis's used_cpu_user + used_cpu_sys, in seconds.
func redisCPU(b *testing.B, c rueidis.Client) float64 {
	info, err := c.Do(context.Background(), c.B().Info().Section("cpu").Build()).ToString()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for line := range strings.SplitSeq(info, "\r\n") {
		k, v, _ := strings.Cut(line, ":")
		if k == "used_cpu_user" || k == "used_cpu_sys" {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			total += f
		}
	}
	return total
}
