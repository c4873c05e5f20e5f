package bench

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// palette has a colour for each run of a four-server, three-rate
// comparison (twelve) and a few more before it repeats.
var palette = []color.Color{
	color.RGBA{31, 119, 180, 255}, color.RGBA{255, 127, 14, 255}, color.RGBA{44, 160, 44, 255},
	color.RGBA{214, 39, 40, 255}, color.RGBA{148, 103, 189, 255}, color.RGBA{140, 86, 75, 255},
	color.RGBA{227, 119, 194, 255}, color.RGBA{127, 127, 127, 255}, color.RGBA{188, 189, 34, 255},
	color.RGBA{23, 190, 207, 255}, color.RGBA{0, 0, 128, 255}, color.RGBA{128, 0, 0, 255},
	color.RGBA{0, 100, 0, 255}, color.RGBA{255, 215, 0, 255}, color.RGBA{0, 0, 0, 255},
	color.RGBA{255, 0, 255, 255},
}

// panel is one bar chart of the figure: per run, one value per category.
type panel struct {
	title  string
	unit   string // y axis label
	cats   []string
	runs   []string    // legend labels
	vals   [][]float64 // vals[run][category]
	format func(float64) string
	from   []Result // the runs drawn, for the panel's own settings
}

// chartPanels picks the panels that rs have data for.
func chartPanels(rs []Result) []panel {
	var ps []panel
	ms := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	add := func(p panel, has func(Result) bool, vals func(Result) []float64) {
		for _, r := range rs {
			if has(r) {
				p.runs = append(p.runs, r.Label)
				p.vals = append(p.vals, vals(r))
				p.from = append(p.from, r)
			}
		}
		if len(p.runs) > 0 {
			ps = append(ps, p)
		}
	}
	add(panel{title: "Delivery latency", unit: "ms", cats: []string{"p50", "p90", "p99", "p99.9", "max"}, format: ms},
		func(r Result) bool { return r.Latency != nil },
		func(r Result) []float64 { l := r.Latency; return []float64{l.P50, l.P90, l.P99, l.P999, l.Max} })
	add(panel{title: "Watcher probes during the storm", unit: "ms",
		cats: []string{"new conn p50", "p99", "max", "publish p50", "p99", "max"}, format: ms},
		func(r Result) bool { return r.ConnectProbe != nil && r.PublishProbe != nil },
		func(r Result) []float64 {
			c, p := r.ConnectProbe, r.PublishProbe
			return []float64{c.P50, c.P99, c.Max, p.P50, p.P99, p.Max}
		})
	add(panel{title: "Server memory per connection", unit: "KiB/connection", cats: []string{""},
		format: func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + " KiB" }},
		func(r Result) bool { return r.SlopePerConn != 0 || (r.BytesPerConn != 0 && r.Scenario == "connect") },
		func(r Result) []float64 {
			v := r.SlopePerConn
			if v == 0 {
				v = r.BytesPerConn
			}
			return []float64{v / 1024}
		})
	add(panel{title: "Server CPU per delivery", unit: "µs/delivery", cats: []string{""},
		format: func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }},
		func(r Result) bool { return r.CPUPerDeliveryUs != 0 },
		func(r Result) []float64 { return []float64{r.CPUPerDeliveryUs} })
	add(panel{title: "Server write syscalls per delivery", unit: "syscalls/delivery", cats: []string{""},
		format: func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }},
		func(r Result) bool { return r.WritesPerDelivery != 0 },
		func(r Result) []float64 { return []float64{r.WritesPerDelivery} })
	add(panel{title: "Churn", unit: "connects/s", cats: []string{""},
		format: func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) }},
		func(r Result) bool { return r.ConnectsPerSec != 0 },
		func(r Result) []float64 { return []float64{r.ConnectsPerSec} })
	return ps
}

// chartTitle is the settings all of rs share, as in the Markdown.
func chartTitle(rs []Result) string {
	if len(rs) == 0 {
		return "fanout bench: no results"
	}
	common, _ := splitSettings(rs)
	return "fanout bench · " + strings.Join(common, " · ")
}

// writeChart draws one panel per measured kind, values on the bars and
// the shared settings in the title.
func writeChart(path string, rs []Result) error {
	ps := chartPanels(rs)
	if len(ps) == 0 {
		ps = []panel{{title: "nothing measured", cats: []string{""}, runs: []string{"-"}, vals: [][]float64{{0}},
			format: func(float64) string { return "" }}}
	}
	const titleH = 44
	w, h := vg.Points(float64(max(560, 440*len(ps)))), vg.Points(460)
	img := vgimg.New(w, h)
	dc := draw.New(img)
	ts := text.Style{Color: color.Black, Font: font.From(plot.DefaultFont, 11), Handler: plot.DefaultTextHandler,
		XAlign: text.XCenter, YAlign: text.YTop}
	for i, line := range wrapTitle(chartTitle(rs), int(w/5.5)) {
		dc.FillText(ts, vg.Point{X: w / 2, Y: h - vg.Points(6+14*float64(i))}, line)
	}
	global, _ := splitSettings(rs)
	plots := make([]*plot.Plot, len(ps))
	for i, p := range ps {
		p.title += panelSettings(p.from, global)
		pl, err := p.plot()
		if err != nil {
			return err
		}
		plots[i] = pl
	}
	tiles := draw.Tiles{Rows: 1, Cols: len(ps), PadX: vg.Points(20), PadTop: vg.Points(titleH),
		PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, pl := range plots {
		pl.Draw(canvases[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		return fmt.Errorf("bench: chart: %w", err)
	}
	return f.Close()
}

// panelSettings is "\n" and the settings the panel's runs share beyond
// those in the figure's title, so a panel names its rate and size.
func panelSettings(from []Result, global []string) string {
	if len(from) == 0 {
		return ""
	}
	common, _ := splitSettings(from)
	var extra []string
	for _, c := range common {
		if !slices.Contains(global, c) && !strings.HasPrefix(c, "scenario ") {
			extra = append(extra, c)
		}
	}
	if len(extra) == 0 {
		return ""
	}
	return "\n" + strings.Join(wrapTitle(strings.Join(extra, " · "), 60), "\n")
}

// wrapTitle breaks s at " · " into lines of at most n characters.
func wrapTitle(s string, n int) []string {
	var lines []string
	cur := ""
	for _, part := range strings.Split(s, " · ") {
		if cur != "" && len(cur)+3+len(part) > n {
			lines = append(lines, cur)
			cur = part
			continue
		}
		if cur != "" {
			cur += " · "
		}
		cur += part
	}
	return append(lines, cur)
}

// plot draws p: grouped bars when it has categories, else one bar per
// run named on the x axis; every bar carries its value, and the y axis
// leaves room above the tallest bar for the labels.
func (p panel) plot() (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.title
	pl.Y.Label.Text = p.unit
	pl.Y.Tick.Marker = plainTicks{}
	single := len(p.cats) == 1
	if single {
		pl.NominalX(p.runs...)
	} else {
		pl.NominalX(p.cats...)
		pl.Legend.Top, pl.Legend.Left = true, true
	}
	groupW := 70.0
	if single {
		groupW = 40 * float64(len(p.runs))
	}
	barW := vg.Points(groupW / float64(max(1, len(p.runs))))
	if single {
		barW = vg.Points(40)
	}
	rotate := !single && len(p.runs) > 2
	top := 0.0
	for i, v := range p.vals {
		vals := make(plotter.Values, len(v))
		copy(vals, v)
		var off vg.Length
		if single {
			vals = make(plotter.Values, len(p.runs))
			vals[i] = v[0]
		} else {
			off = barW * vg.Length(float64(i)-float64(len(p.runs)-1)/2)
		}
		bars, err := plotter.NewBarChart(vals, barW)
		if err != nil {
			return nil, fmt.Errorf("bench: chart: %w", err)
		}
		bars.Color = palette[i%len(palette)]
		bars.LineStyle.Width = 0
		bars.Offset = off
		pl.Add(bars)
		if !single {
			pl.Legend.Add(p.runs[i], bars)
		}
		var xys plotter.XYs
		var labels []string
		for j, y := range vals {
			if single && j != i {
				continue
			}
			top = math.Max(top, y)
			xys = append(xys, plotter.XY{X: float64(j), Y: y})
			labels = append(labels, p.format(y))
		}
		lab, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
		if err != nil {
			return nil, fmt.Errorf("bench: chart: %w", err)
		}
		for k := range lab.TextStyle {
			s := &lab.TextStyle[k]
			s.Font.Size = vg.Points(8)
			s.XAlign, s.YAlign = text.XCenter, text.YBottom
			if rotate {
				s.Rotation = math.Pi / 2
				s.XAlign, s.YAlign = text.XLeft, text.YCenter
			}
		}
		lab.Offset = vg.Point{X: off, Y: vg.Points(2)}
		pl.Add(lab)
	}
	pl.Y.Min = 0
	headroom := 1.15
	if rotate {
		headroom = 1.45 // rotated labels stand taller than they are wide
	}
	pl.Y.Max = math.Max(top*headroom, 1e-9)
	if len(p.runs) > 1 && !single {
		// The legend sits top left, over the lowest (first) category.
		pl.Y.Max = math.Max(pl.Y.Max, top*(1+0.06*float64(len(p.runs))))
	}
	return pl, nil
}

// plainTicks are gonum's default ticks labelled without trailing zeros
// ("250", not "250.00").
type plainTicks struct{}

func (plainTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = strconv.FormatFloat(ts[i].Value, 'g', 6, 64)
		}
	}
	return ts
}
