package bench

import (
	"errors"
	"strings"
	"testing"
)

func TestHarnessCheck(t *testing.T) {
	cases := []struct {
		name string
		r    Result
		bad  bool
	}{
		{"cheaper than the server", Result{Delivered: 1000, CPUPerDeliveryUs: 10, HarnessCPUSeconds: 0.005,
			HarnessCPUPerDeliveryUs: 5, HarnessCores: 0.4, MachineCores: 2}, false},
		{"costlier than the server", Result{Delivered: 1000, CPUPerDeliveryUs: 4, HarnessCPUSeconds: 0.005,
			HarnessCPUPerDeliveryUs: 5, HarnessCores: 0.4, MachineCores: 2}, true},
		{"holding the cores, server not measured", Result{Delivered: 1000, HarnessCPUSeconds: 0.005,
			HarnessCPUPerDeliveryUs: 5, HarnessCores: 1.9, MachineCores: 2}, true},
		{"nothing measured", Result{Delivered: 1000}, false},
	}
	for _, c := range cases {
		err := c.r.HarnessCheck()
		var hb *HarnessBoundError
		if got := errors.As(err, &hb); got != c.bad {
			t.Errorf("%s: HarnessCheck() = %v, want bound %v", c.name, err, c.bad)
		}
		if c.bad && !strings.Contains(err.Error(), "SELF-CHECK FAILED") {
			t.Errorf("%s: %q does not say SELF-CHECK FAILED", c.name, err)
		}
	}
}
