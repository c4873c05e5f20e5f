package console

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Console is the web console of one node.
type Console struct {
	o        Options
	sessions *sessions
	limiter  *loginLimiter
	sampler  *sampler
	cluster  *clusterView
	feed     *Feed
	apps     atomic.Pointer[appSet] // replaced by Update
	mux      *http.ServeMux

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once

	// subscribers of new samples (each stream), woken after every take.
	tickMu sync.Mutex
	tick   chan struct{}
}

// New builds a console; Run starts its sampler.
func New(o Options) (*Console, error) {
	o.withDefaults()
	switch {
	case o.Password == "":
		return nil, errors.New("console: no password")
	case o.Backend == nil || o.API == nil:
		return nil, errors.New("console: backend and API are required")
	}
	c := &Console{o: o, sessions: newSessions(o.SessionTTL, o.Now),
		limiter: &loginLimiter{burst: 10, interval: 6 * time.Second},
		stop:    make(chan struct{}), tick: make(chan struct{})}
	c.Update(o.Apps, o.Config)
	c.sampler = newSampler(o.Node, o.Keep, func(b *bytes.Buffer) { o.Gather(b) }, o.Backend.Ready)
	c.cluster = newClusterView(o.Node, o.Cluster, o.Keep, o.SampleEvery)
	c.feed = newFeed(o.Backend, o.TailRate, o.Now)
	c.routes()
	return c, nil
}

// appSet is the apps the console serves and the configuration it shows,
// replaced whole when the node reloads its apps.
type appSet struct {
	list   []App
	byID   map[string]App
	config []byte
}

// Update makes apps and config (YAML, secrets masked) the ones the
// console serves from now on: the node calls it after a reload. Safe from
// any goroutine.
func (c *Console) Update(apps []App, config []byte) {
	set := &appSet{list: apps, byID: make(map[string]App, len(apps)), config: config}
	for _, a := range apps {
		set.byID[a.ID] = a
	}
	c.apps.Store(set)
}

// Feed is the console's tap, for the wiring of webhook events.
func (c *Console) Feed() *Feed { return c.feed }

// Handler serves /console/ (and redirects /console to it).
func (c *Console) Handler() http.Handler { return c.mux }

// Run starts sampling every SampleEvery until Close.
func (c *Console) Run() {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(c.o.SampleEvery)
		defer t.Stop()
		c.sample()
		for {
			select {
			case <-c.stop:
				return
			case <-t.C:
				c.sample()
			}
		}
	}()
}

func (c *Console) sample() {
	c.feed.tick()
	s := c.sampler.take(c.o.Now())
	ctx, cancel := context.WithTimeout(context.Background(), c.o.SampleEvery)
	c.cluster.exchange(ctx, s, c.o.Now(), c.o.Logger)
	cancel()
	c.tickMu.Lock()
	close(c.tick)
	c.tick = make(chan struct{})
	c.tickMu.Unlock()
}

// ticked returns a channel closed after the next sample.
func (c *Console) ticked() <-chan struct{} {
	c.tickMu.Lock()
	defer c.tickMu.Unlock()
	return c.tick
}

// Close stops the sampler and ends every stream.
func (c *Console) Close() {
	c.once.Do(func() { close(c.stop) })
	c.wg.Wait()
}
