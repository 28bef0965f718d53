package cli

import (
	"fmt"
	"io"

	"github.com/idemsim/idemsim/report"
)

// scorecardCommand prints the verdict per strategy over every experiment
// in the results directory, as Markdown (make results keeps it in
// results/scorecard.md; the README and the report show it).
func scorecardCommand(args []string, stdout io.Writer) error {
	fs := &flagSet{cmd: "scorecard"}
	dir := "results"
	var help bool
	addResultsFlag(fs, &dir, "NAME/cells.json per experiment")
	fs.add("help", "", "this text", boolValue(&help))
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if help {
		_, err := fmt.Fprintf(stdout, "usage: idemsim scorecard [flags]\n\nPrints, per strategy, the worst rate of every failure kind across the\nexperiments' results and where it came from, the experiments it came\nthrough clean, what it requires and what it costs, as Markdown.\n\n%s", fs.usage())
		return err
	}
	if len(rest) > 0 {
		return usagef("idemsim scorecard: unexpected argument %q (flags start with --)", rest[0])
	}
	xs, err := report.Load(dir)
	if err != nil {
		return reportError("scorecard", err)
	}
	if len(xs) == 0 {
		return usagef("idemsim scorecard: %s holds no NAME/cells.json (make experiments writes them)", dir)
	}
	_, err = io.WriteString(stdout, report.ScorecardOf(xs).Document())
	return err
}
