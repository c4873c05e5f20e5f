package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// status is what the progress line shows: phase with done of total (total
// 0: no bar) and free text.
type status struct {
	phase       string
	done, total int64
	extra       string
}

// progress prints the current phase on a clock of its own, a bar every
// 200 ms on a terminal, else a plain line every second, so output never
// pauses while a phase waits on workers, a settle or a drain.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool

	mu   sync.Mutex
	fn   func() status
	stop chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w io.Writer, quiet bool) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, quiet: quiet, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// set makes fn the source of the progress line from now on; the first
// call starts the clock.
func (p *progress) set(fn func() status) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fn != nil && p.tty {
		fmt.Fprintln(p.w) // keep the finished phase's last bar
	}
	p.fn = fn
	if p.stop == nil {
		p.stop = make(chan struct{})
		p.wg.Add(1)
		go p.loop()
	}
	p.print()
}

// close stops the clock and ends the line.
func (p *progress) close() {
	p.mu.Lock()
	stop := p.stop
	p.mu.Unlock()
	if stop == nil {
		return
	}
	close(stop)
	p.wg.Wait()
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) loop() {
	defer p.wg.Done()
	every := time.Second
	if p.tty {
		every = 200 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.print()
			p.mu.Unlock()
		}
	}
}

// print writes one line for the current status; p.mu is held.
func (p *progress) print() {
	s := p.fn()
	if !p.tty {
		fmt.Fprintf(p.w, "%s %s %d/%d %s\n", time.Now().Format("15:04:05"), s.phase, s.done, s.total, s.extra)
		return
	}
	bar := ""
	if s.total > 0 {
		const width = 30
		fill := int(min(max(s.done, 0), s.total) * width / s.total)
		bar = "[" + strings.Repeat("#", fill) + strings.Repeat(".", width-fill) + "] "
	}
	fmt.Fprintf(p.w, "\r\033[K%-10s %s%d/%d %s", s.phase, bar, s.done, s.total, s.extra)
}
