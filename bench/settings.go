package bench

import (
	"os/exec"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// settings is the Result a run starts from: its identity and settings,
// so that each result file stands alone.
func (o *Options) settings() Result {
	r := Result{Label: o.Label, Scenario: o.Scenario, Conns: o.Conns, Channels: o.Channels,
		Workers: o.Workers, Duration: o.Duration.String(), Server: strings.Join(o.URLs, ","),
		Commit: commit(), Date: time.Now().UTC().Format(time.RFC3339)}
	if o.Scenario != "churn" {
		r.ConnRate = o.ConnRate
	}
	switch o.Scenario {
	case "fanout":
		r.Rate, r.Size, r.Publishers, r.BackToBack = o.Rate, o.Size, o.Publishers, o.BackToBack
		if o.BackToBack {
			r.Rate = 0
		}
	case "storm":
		r.Rate, r.Size, r.Senders, r.ProbeEvery = o.Rate, o.Size, o.Senders, o.ProbeEvery.String()
		r.Channels = 1
	}
	r.Auth = o.authSummary()
	return r
}

var commitOnce = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				if s.Value == "true" {
					dirty = "-dirty"
				}
			}
		}
		if len(rev) >= 12 {
			return rev[:12] + dirty
		}
	}
	// go run and test binaries carry no VCS stamp: ask git about the
	// working directory, which is the checkout in every documented use.
	out, err := exec.Command("git", "describe", "--always", "--dirty", "--abbrev=12").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
})

// commit is the VCS revision stamped into the harness build, else what
// git describe says of the working directory ("" if neither is known).
func commit() string { return commitOnce() }
