package bench

import (
	"flag"
	"fmt"
	"io"
)

// runReport is `fanout bench report --in a.json,b.json --out DIR`.
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fanout bench report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in []string
	fs.Var(listFlag{&in}, "in", "result files to merge (repeatable or comma-separated)")
	out := fs.String("out", "", "directory for the merged results.json, results.md, chart.png")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if len(in) == 0 {
		fmt.Fprintln(stderr, "fanout bench report: --in is required")
		return 2
	}
	var all []Result
	for _, path := range in {
		rs, err := readResults(path)
		if err != nil {
			fmt.Fprintln(stderr, "fanout bench report:", err)
			return 1
		}
		all = append(all, rs...)
	}
	fmt.Fprint(stdout, markdownTable(all))
	if *out != "" {
		if err := writeOut(*out, all); err != nil {
			fmt.Fprintln(stderr, "fanout bench report:", err)
			return 1
		}
	}
	return 0
}
