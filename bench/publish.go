package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
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
	tr := &http.Transport{MaxIdleConnsPerHost: o.Publishers, MaxConnsPerHost: o.Publishers,
		TLSClientConfig: o.tlsFor(o.APIURL)}
	return &publisher{o: o, subs: subs, errs: map[string]int{},
		client: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// run publishes at o.Rate in total for d, over o.Publishers goroutines;
// with o.BackToBack each goroutine publishes again as soon as it is
// answered, until d passed or o.MaxPublishes were sent.
func (p *publisher) run(ctx context.Context, d time.Duration) {
	// Requests use ctx, not the duration's context, so that a publish in
	// flight when the duration ends still counts its deliveries.
	loop, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	// One schedule for all: each publisher takes the next slot, so the
	// events are evenly spaced and the publishers only add concurrency
	// for when a publish takes longer than the interval.
	pace := newPacer(p.o.Rate)
	var wg sync.WaitGroup
	for range p.o.Publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loop.Err() == nil {
				if !p.o.BackToBack {
					pace.wait(loop)
				}
				if loop.Err() != nil {
					return
				}
				seq := p.seq.Add(1) - 1
				if p.o.BackToBack && seq >= uint64(p.o.MaxPublishes) {
					return
				}
				p.publishOne(ctx, seq)
			}
		}()
	}
	wg.Wait()
	p.client.CloseIdleConnections()
}

func (p *publisher) publishOne(ctx context.Context, seq uint64) {
	ch := int(seq % uint64(len(p.subs)))
	data := appendBenchData(make([]byte, 0, p.o.Size+48), seq, time.Now().UnixNano(), p.o.Size)
	var reason string
	if p.o.Protocol == "centrifugo" {
		reason = postCentrifugo(ctx, p.client, p.o, "bench-"+strconv.Itoa(ch), data)
	} else {
		reason = postEvent(ctx, p.client, p.o, "bench-"+strconv.Itoa(ch), "bench", data)
	}
	switch {
	case reason == "":
		p.ok.Add(1)
		p.expect.Add(uint64(p.subs[ch]))
	case ctx.Err() == nil:
		p.fail(reason)
	}
}

// postEvent triggers event on channel with data (a string with nothing
// to escape) through the signed Pusher HTTP API; it returns "" when the
// server answered 200, else the reason ("http 503", "http: connection
// refused").
func postEvent(ctx context.Context, client *http.Client, o *Options, channel, event string, data []byte) string {
	body := make([]byte, 0, len(data)+len(channel)+48)
	body = append(body, `{"name":`...)
	body = strconv.AppendQuote(body, event)
	body = append(body, `,"channel":`...)
	body = strconv.AppendQuote(body, channel)
	body = append(body, `,"data":"`...)
	body = append(body, data...)
	body = append(body, `"}`...)
	path := "/apps/" + o.AppID + "/events"
	q := pushersig.Query(o.AppKey, o.AppSecret, "POST", path, body, time.Now().Unix())
	req, err := http.NewRequestWithContext(ctx, "POST", o.APIURL+path+"?"+q, bytes.NewReader(body))
	if err != nil {
		return "request"
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "http: " + transportReason(err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "http " + strconv.Itoa(resp.StatusCode)
	}
	return ""
}

func (p *publisher) fail(reason string) {
	p.failed.Add(1)
	p.fmu.Lock()
	p.errs[reason]++
	p.fmu.Unlock()
}

// subscribersPerChannel counts the connections on each public channel
// bench-N when n connections are spread as channelOf spreads them and
// those for which onPresence is true (may be nil) join presence-bench-N
// instead, which the publisher does not publish to.
func subscribersPerChannel(n, channels int, onPresence func(int) bool) []int {
	subs := make([]int, channels)
	for g := range n {
		if onPresence == nil || !onPresence(g) {
			subs[channelOf(g, channels)]++
		}
	}
	return subs
}
