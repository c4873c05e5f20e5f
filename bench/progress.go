package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress draws a bar on a terminal, else a plain line every 2 s.
type progress struct {
	w     io.Writer
	tty   bool
	quiet bool
	last  time.Time
}

func newProgress(w io.Writer, quiet bool) *progress {
	f, ok := w.(*os.File)
	return &progress{w: w, quiet: quiet, tty: ok && term.IsTerminal(int(f.Fd()))}
}

// show reports phase with done of total (total 0: no bar).
func (p *progress) show(phase string, done, total int64, extra string) {
	if p.quiet {
		return
	}
	now := time.Now()
	every := 2 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every {
		return
	}
	p.last = now
	if !p.tty {
		fmt.Fprintf(p.w, "%s %s %d/%d %s\n", now.Format("15:04:05"), phase, done, total, extra)
		return
	}
	bar := ""
	if total > 0 {
		const width = 30
		fill := int(min(done, total) * width / total)
		bar = "[" + strings.Repeat("#", fill) + strings.Repeat(".", width-fill) + "] "
	}
	fmt.Fprintf(p.w, "\r\033[K%-10s %s%d/%d %s", phase, bar, done, total, extra)
}

// done ends the bar's line.
func (p *progress) done() {
	if p.tty && !p.quiet {
		fmt.Fprintln(p.w)
	}
	p.last = time.Time{}
}
