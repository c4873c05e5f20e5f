package bench

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fanout/fanout/internal/syncbuf"
)

// Each result file carries the run's settings and only the columns of
// its scenario.
func TestResultFilesStandAlone(t *testing.T) {
	h := startHub(t)
	dir := t.TempDir()
	var rs []Result
	for _, sc := range []string{"connect", "fanout"} {
		res, err := Execute(testCtx(t), Options{Scenario: sc, URLs: []string{h.wsURL()}, Conns: 20, Channels: 2,
			Workers: 1, Rate: 20, Size: 64, Publishers: 2, Duration: 300 * time.Millisecond, Quiet: true,
			ServerPIDs: []int{os.Getpid()}, MeasureAt: []int{10}, Settle: 10 * time.Millisecond}, os.Stderr)
		if err != nil {
			t.Fatal(err)
		}
		write := writeText // a chart is drawn once below: drawing is slow under -race
		if sc == "fanout" {
			write = writeOut
		}
		if err := write(filepath.Join(dir, sc), []Result{*res}); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, *res)
	}
	md := func(sc string) string {
		b, err := os.ReadFile(filepath.Join(dir, sc, "results.md"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	server := "server " + h.wsURL()
	want := []string{"scenario connect", "connections 20", "channels 2", "duration 300ms", server}
	if rs[0].SlopePerConn != 0 { // the test process's RSS may not move a page for 10 connections
		want = append(want, "RSS/conn slope")
	}
	for _, want := range want {
		if !strings.Contains(md("connect"), want) {
			t.Errorf("connect results.md lacks %q:\n%s", want, md("connect"))
		}
	}
	for _, want := range []string{"scenario fanout", "events/s 20", "size 64 B", "publishers 2", server, "p99 ms", "missed"} {
		if !strings.Contains(md("fanout"), want) {
			t.Errorf("fanout results.md lacks %q:\n%s", want, md("fanout"))
		}
	}
	for _, not := range []string{"| p99 ms |", "delivered/s", "disconnects/s", "events/s"} {
		if strings.Contains(md("connect"), not) {
			t.Errorf("connect results.md has the fanout/churn column %q:\n%s", not, md("connect"))
		}
	}
	if strings.Contains(md("fanout"), "| connects/s |") {
		t.Errorf("fanout results.md has churn columns:\n%s", md("fanout"))
	}
	var j map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "fanout", "results.json"))
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"scenario", "conns", "channels", "rate", "size", "duration", "server", "date", "conn_rate", "publishers"} {
		if _, ok := j[k]; !ok {
			t.Errorf("results.json lacks %q: %s", k, b)
		}
	}
	f, err := os.Open(filepath.Join(dir, "fanout", "chart.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatal(err)
	}
	// Merged: one table per scenario, each under its own settings line.
	all := markdownTable(rs)
	if strings.Count(all, "Settings: ") != 2 || strings.Count(all, "| run |") != 2 {
		t.Fatalf("merged table:\n%s", all)
	}
}

// The chart names its settings, its units, labels every bar and leaves
// room above the tallest one.
func TestChartSaysWhatItShows(t *testing.T) {
	rs := []Result{
		{Label: "a", Scenario: "connect", Conns: 18000, Channels: 180, SlopePerConn: 700},
		{Label: "b", Scenario: "connect", Conns: 18000, Channels: 180, SlopePerConn: 29000},
	}
	if got := chartTitle(rs); !strings.Contains(got, "connections 18000") || !strings.Contains(got, "channels 180") {
		t.Fatalf("title %q", got)
	}
	ps := chartPanels(rs)
	if len(ps) != 1 || ps[0].unit != "KiB/connection" {
		t.Fatalf("panels %+v", ps)
	}
	pl, err := ps[0].plot()
	if err != nil {
		t.Fatal(err)
	}
	if top := 29000.0 / 1024; pl.Y.Max < top*1.1 {
		t.Fatalf("y max %.2f leaves no room above %.2f", pl.Y.Max, top)
	}
	if got := ps[0].format(700.0 / 1024); got != "0.68 KiB" {
		t.Fatalf("bar label %q", got)
	}
	for _, tk := range (plainTicks{}).Ticks(0, 250) {
		if strings.Contains(tk.Label, ".00") {
			t.Fatalf("tick label %q", tk.Label)
		}
	}
}

// Progress keeps printing while a phase waits on nothing but time.
func TestProgressKeepsPrinting(t *testing.T) {
	var buf syncbuf.Buffer
	p := newProgress(&buf, false)
	p.set(func() status { return status{"settle", 5, 10, "waiting"} })
	printed := buf.WaitCount("settle 5/10", 3, 10*time.Second)
	p.close()
	if n := strings.Count(buf.String(), "settle 5/10"); !printed {
		t.Fatalf("%d lines while waiting:\n%s", n, buf.String())
	}
}
