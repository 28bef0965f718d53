package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/world"
)

// claimsCommand runs every claim's scenarios and prints, claim by claim,
// what each showed and how to see it.
func claimsCommand(stdout io.Writer) error {
	all, err := claims.All()
	if err != nil {
		return err
	}
	for i, c := range all {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "claim %d: %s\n", c.N, c.Text)
		for _, s := range c.Scenarios {
			out, err := runScenario(s)
			if err != nil {
				return fmt.Errorf("idemsim claims: scenario %s: %w", s.Name, err)
			}
			fmt.Fprintf(stdout, "  %s: %s\n", s.Name, out.Text())
			for _, line := range wrap(s.Comment, 72) {
				fmt.Fprintf(stdout, "    %s\n", line)
			}
			fmt.Fprintf(stdout, "    see it: idemsim run --scenario %s\n", s.Name)
		}
	}
	return nil
}

// Outcome is what a scenario's run showed.
type Outcome struct {
	Report check.Report
	Ledger string // the effects by source: "1 payments row, 2 gateway charges"
	// Errors are a SQL scenario's failed statements, "LEVEL: tN: STATEMENT
	// => error CODE", in the order they failed.
	Errors []string
	sql    bool
}

// Held reports whether the run showed no violation (a SQL scenario: no
// statement failed).
func (o Outcome) Held() bool { return len(o.Report.Violations) == 0 && len(o.Errors) == 0 }

// Text is the outcome in a few words: the violations by kind, or none.
func (o Outcome) Text() string {
	if o.sql {
		if len(o.Errors) == 0 {
			return "every statement succeeded"
		}
		return "FAILED " + strings.Join(o.Errors, "; ")
	}
	var parts []string
	for _, k := range check.Kinds {
		if n := o.Report.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ToUpper(string(k)), n))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no violation")
	}
	return fmt.Sprintf("%s (%s for %s)", strings.Join(parts, ", "), o.Ledger, plural(o.Report.Ops, "operation"))
}

// runScenario runs a scenario without its timeline.
func runScenario(s claims.Scenario) (Outcome, error) {
	if s.Script != "" {
		out, err := runScript(s.Name, s.Script, "", script.DefaultOptions())
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{Errors: scriptErrors(out), sql: true}, nil
	}
	st, err := configure(append(append([]string{}, s.Args...), "--violations", "0"))
	if err != nil {
		return Outcome{}, err
	}
	st.cfg.KeepTrace = false
	res, err := world.Run(st.cfg)
	if err != nil {
		return Outcome{}, err
	}
	rep := check.Audit(res)
	return Outcome{Report: rep, Ledger: ledgerSummary(res.Ledger)}, nil
}

// wrap breaks text into lines of at most width runes, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	var cur string
	for _, w := range strings.Fields(text) {
		if cur != "" && len(cur)+1+len(w) > width {
			lines = append(lines, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

// scriptErrors are the statements of a script's output that failed, with
// the level they ran at.
func scriptErrors(out string) []string {
	var errs []string
	level := ""
	for _, line := range strings.Split(out, "\n") {
		if l, ok := strings.CutPrefix(line, "# level: "); ok {
			level = l + ": "
			continue
		}
		if strings.Contains(line, " => error ") {
			errs = append(errs, level+line)
		}
	}
	return errs
}
