package bench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fanout/fanout/bench/internal/pushersig"
)

// publisher POSTs signed events to the Pusher HTTP API.
type publisher struct {
	o      *Options
	client *http.Client
	seq    atomic.Uint64
	ok     atomic.Uint64
	failed atomic.Uint64
	expect atomic.Uint64 // deliveries the successful publishes should cause
	subs   []int         // subscribers per channel index
	fmu    sync.Mutex
	errs   map[string]int
}

func newPublisher(o *Options, subs []int) *publisher {
	tr := &http.Transport{MaxIdleConnsPerHost: o.Publishers, MaxConnsPerHost: o.Publishers}
	return &publisher{o: o, subs: subs, errs: map[string]int{},
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// run publishes at o.Rate in total for d, over o.Publishers goroutines.
func (p *publisher) run(ctx context.Context, d time.Duration) {
	// Requests use ctx, not the duration's context, so that a publish in
	// flight when the duration ends still counts its deliveries.
	loop, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	for range p.o.Publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pace := newPacer(p.o.Rate / float64(p.o.Publishers))
			for loop.Err() == nil {
				pace.wait(loop)
				if loop.Err() != nil {
					return
				}
				p.publishOne(ctx)
			}
		}()
	}
	wg.Wait()
	p.client.CloseIdleConnections()
}

// body builds the publish request body for seq on channel ch.
func (p *publisher) body(seq uint64, ch int) []byte {
	b := make([]byte, 0, p.o.Size+96)
	b = append(b, `{"name":"bench","channel":"bench-`...)
	b = strconv.AppendInt(b, int64(ch), 10)
	b = append(b, `","data":"`...)
	b = appendBenchData(b, seq, time.Now().UnixNano(), p.o.Size)
	return append(b, `"}`...)
}

func (p *publisher) publishOne(ctx context.Context) {
	seq := p.seq.Add(1) - 1
	ch := int(seq % uint64(len(p.subs)))
	body := p.body(seq, ch)
	path := "/apps/" + p.o.AppID + "/events"
	q := pushersig.Query(p.o.AppKey, p.o.AppSecret, "POST", path, body, time.Now().Unix())
	req, err := http.NewRequestWithContext(ctx, "POST", p.o.APIURL+path+"?"+q, bytes.NewReader(body))
	if err != nil {
		p.fail("request")
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			p.fail("http: " + transportReason(err))
		}
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		p.fail("http " + strconv.Itoa(resp.StatusCode))
		return
	}
	p.ok.Add(1)
	p.expect.Add(uint64(p.subs[ch]))
}

func (p *publisher) fail(reason string) {
	p.failed.Add(1)
	p.fmu.Lock()
	p.errs[reason]++
	p.fmu.Unlock()
}

// subscribersPerChannel counts the connections on each channel when n
// connections are spread as channelOf spreads them.
func subscribersPerChannel(n, channels int) []int {
	subs := make([]int, channels)
	for g := range n {
		subs[channelOf(g, channels)]++
	}
	return subs
}

// transportReason names an HTTP client error by its innermost system
// error ("connection refused"), else by its own text.
func transportReason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return err.Error()
}
