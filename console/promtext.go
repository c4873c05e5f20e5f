package console

import (
	"bytes"
	"math"
	"sort"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape is the node's exposition read once: series values by name and
// label, and the delivery-duration histogram's cumulative buckets.
type scrape struct {
	families map[string]*dto.MetricFamily
}

// parseScrape reads the Prometheus text format (the node's own, so an
// error means a bug: the figures of that sample are left empty).
func parseScrape(text []byte) scrape {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		return scrape{}
	}
	return scrape{families: fams}
}

// value of a single series (no labels or the first one).
func (s scrape) value(name string) float64 {
	f := s.families[name]
	if f == nil || len(f.Metric) == 0 {
		return 0
	}
	return metricValue(f.Metric[0])
}

// byLabel sums a family's series by one label's value.
func (s scrape) byLabel(name, label string) map[string]float64 {
	out := map[string]float64{}
	f := s.families[name]
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		for _, l := range m.Label {
			if l.GetName() == label {
				out[l.GetValue()] += metricValue(m)
			}
		}
	}
	return out
}

// sum of every series of a family.
func (s scrape) sum(name string) float64 {
	t := 0.0
	if f := s.families[name]; f != nil {
		for _, m := range f.Metric {
			t += metricValue(m)
		}
	}
	return t
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	}
	return 0
}

// bucket is one cumulative histogram bucket.
type bucket struct {
	le    float64
	count float64
}

// buckets of a histogram family (VictoriaMetrics writes Prometheus
// histograms with le labels), sorted by bound.
func (s scrape) buckets(name string) []bucket {
	f := s.families[name]
	if f == nil || len(f.Metric) == 0 || f.Metric[0].Histogram == nil {
		return nil
	}
	var out []bucket
	for _, b := range f.Metric[0].Histogram.Bucket {
		out = append(out, bucket{le: b.GetUpperBound(), count: float64(b.GetCumulativeCount())})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].le < out[j].le })
	return out
}

// quantile estimates the q-quantile (0..1) of the observations made
// between two readings of a cumulative histogram, interpolating
// linearly inside the bucket (as PromQL's histogram_quantile does); NaN
// when none were made.
func quantile(q float64, prev, cur []bucket) float64 {
	if len(cur) == 0 {
		return math.NaN()
	}
	delta := make([]float64, len(cur))
	for i := range cur {
		delta[i] = cur[i].count
		if i < len(prev) && prev[i].le == cur[i].le {
			delta[i] -= prev[i].count
		}
	}
	total := delta[len(delta)-1]
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for i, b := range cur {
		if delta[i] >= rank {
			if math.IsInf(b.le, 1) {
				return lower // over the last finite bound: report that bound
			}
			in := delta[i] - below
			if in <= 0 {
				return b.le
			}
			return lower + (b.le-lower)*(rank-below)/in
		}
		lower, below = b.le, delta[i]
	}
	return lower
}
