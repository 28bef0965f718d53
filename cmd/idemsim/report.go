package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/idemsim/idemsim/report"
)

// reportCommand draws the plots of every experiment in the results
// directory, shrinks the swarm's failures, and writes the report's pages.
func reportCommand(args []string, stdout io.Writer) error {
	fs := &flagSet{cmd: "report"}
	dir := "results"
	var help bool
	fs.add("results", "DIR", "the results directory: NAME/cells.json per experiment, claims.txt and edge-cases.md (both optional); the plots and each experiment's page go beside its cells.json, the index to DIR/index.html (default results)", func(s string) error {
		if s == "" {
			return errors.New("empty directory name")
		}
		dir = s
		return nil
	})
	fs.add("help", "", "this text", boolValue(&help))
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if help {
		_, err := fmt.Fprintf(stdout, "usage: idemsim report [flags]\n\nDraws every experiment's results as plots and writes the pages that\nanswer the thread: DIR/index.html, and from it a page per experiment\nand per strategy.\n\n%s", fs.usage())
		return err
	}
	if len(rest) > 0 {
		return usagef("idemsim report: unexpected argument %q (flags start with --)", rest[0])
	}
	sum, err := report.Build(report.Options{Dir: dir})
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", "; ")
		var ie *report.InputError
		if errors.As(err, &ie) {
			return usagef("idemsim report: %s", strings.TrimPrefix(msg, "report: "))
		}
		return fmt.Errorf("idemsim report: %s", strings.TrimPrefix(msg, "report: "))
	}
	figures := 0
	for _, x := range sum.Experiments {
		figures += len(report.Figures(x))
	}
	_, err = fmt.Fprintf(stdout, "%d experiments, %d plots, %d claims, %d counterexamples, %d pages\nwrote %s\n",
		len(sum.Experiments), figures, len(sum.Claims), len(sum.Counterexamples), sum.Pages, sum.Written[len(sum.Written)-1])
	return err
}
