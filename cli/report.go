package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/report"
)

// reportCommand draws the plots of every experiment in the results
// directory, shrinks the swarm's failures, and writes the report's pages.
func reportCommand(args []string, stdout io.Writer) error {
	fs := &flagSet{cmd: "report"}
	dir := "results"
	var help bool
	addResultsFlag(fs, &dir, "NAME/cells.json per experiment, claims.txt and edge-cases.md (both optional); the plots and each experiment's page go beside its cells.json, the index to DIR/index.html")
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
		return reportError("report", err)
	}
	figures := 0
	for _, x := range sum.Experiments {
		figures += len(report.Figures(x))
	}
	_, err = fmt.Fprintf(stdout, "%d experiments, %d plots, %d claims, %d counterexamples, %d pages\nwrote %s\n",
		len(sum.Experiments), figures, len(sum.Claims), len(sum.Counterexamples), sum.Pages, sum.Written[len(sum.Written)-1])
	return err
}

// addResultsFlag adds --results DIR (default results) to fs, saying what
// the command reads and writes there.
func addResultsFlag(fs *flagSet, dir *string, holds string) {
	fs.add("results", "DIR", "the results directory: "+holds+" (default results)", func(s string) error {
		if s == "" {
			return errors.New("empty directory name")
		}
		*dir = s
		return nil
	})
}

// reportError is the report package's error as command cmd's, on one line:
// a results file missing or out of its format, and a file to write that is
// not a regular one, are usage errors.
func reportError(cmd string, err error) error {
	msg := strings.TrimPrefix(strings.ReplaceAll(err.Error(), "\n", "; "), "report: ")
	var ie *report.InputError
	var refused *atomicfile.RefusedError
	if errors.As(err, &ie) || errors.As(err, &refused) {
		return usagef("idemsim %s: %s", cmd, msg)
	}
	return fmt.Errorf("idemsim %s: %s", cmd, msg)
}
