package bench

import (
	"fmt"
	"image/color"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
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

// writeChart draws latency percentiles (left) and memory per connection
// (right), one bar colour per run.
func writeChart(path string, rs []Result) error {
	var withLat, withMem []Result
	for _, r := range rs {
		if r.Latency != nil {
			withLat = append(withLat, r)
		}
		if r.SlopePerConn != 0 || r.BytesPerConn != 0 {
			withMem = append(withMem, r)
		}
	}
	lat, err := latencyPlot(withLat)
	if err != nil {
		return err
	}
	mem, err := memoryPlot(withMem)
	if err != nil {
		return err
	}
	img := vgimg.New(vg.Points(1100), vg.Points(420))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(20), PadTop: vg.Points(8),
		PadBottom: vg.Points(8), PadLeft: vg.Points(8), PadRight: vg.Points(8)}
	canvases := plot.Align([][]*plot.Plot{{lat, mem}}, tiles, dc)
	lat.Draw(canvases[0][0])
	mem.Draw(canvases[0][1])
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

func latencyPlot(rs []Result) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Delivery latency (ms)"
	p.Y.Label.Text = "ms"
	p.NominalX("p50", "p90", "p99", "p99.9", "max")
	// Top left: the p50 bars are the shortest, so the legend hides no data.
	p.Legend.Top, p.Legend.Left = true, true
	if len(rs) == 0 {
		p.Title.Text += ": not measured"
	}
	w := vg.Points(60 / float64(max(1, len(rs))))
	for i, r := range rs {
		v := plotter.Values{0, 0, 0, 0, 0}
		if l := r.Latency; l != nil {
			v = plotter.Values{l.P50, l.P90, l.P99, l.P999, l.Max}
		}
		bars, err := plotter.NewBarChart(v, w)
		if err != nil {
			return nil, fmt.Errorf("bench: chart: %w", err)
		}
		bars.Color = palette[i%len(palette)]
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(i)-float64(len(rs)-1)/2)
		p.Add(bars)
		p.Legend.Add(r.Label, bars)
	}
	return p, nil
}

func memoryPlot(rs []Result) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Server memory per connection (bytes)"
	p.Y.Label.Text = "bytes"
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = r.Label
		v := r.SlopePerConn
		if v == 0 {
			v = r.BytesPerConn
		}
		vals := make(plotter.Values, len(rs))
		vals[i] = v
		bars, err := plotter.NewBarChart(vals, vg.Points(40))
		if err != nil {
			return nil, fmt.Errorf("bench: chart: %w", err)
		}
		bars.Color = palette[i%len(palette)]
		bars.LineStyle.Width = 0
		p.Add(bars)
	}
	if len(names) == 0 {
		p.Title.Text += ": not measured"
		return p, nil
	}
	p.NominalX(names...)
	return p, nil
}
