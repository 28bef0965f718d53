package report

import (
	"fmt"
	"strings"

	"github.com/idemsim/idemsim/claims"
)

// ClaimsFile is `idemsim claims`' output in the results directory.
const ClaimsFile = "claims.txt"

// Claim is one of the thread's claims with what each of its scenarios
// showed.
type Claim struct {
	claims.Claim
	Results []ScenarioResult
	Holds   int // scenarios on the side where the claim holds
	Breaks  int // scenarios that break it
}

// ScenarioResult is one scenario and what its run showed.
type ScenarioResult struct {
	claims.Scenario
	Side    string // "holds", "breaks", or "" for a scenario that illustrates
	Outcome string // the line `idemsim claims` printed: the verdict and the ledger
	Command string // the command that shows its timeline
}

// Strategy is the strategy the scenario runs ("naive" when its flags
// name none, as for idemsim run), "" for a scenario of the database alone.
func (r ScenarioResult) Strategy() string {
	if len(r.Args) == 0 {
		return ""
	}
	for i, a := range r.Args {
		if v, ok := strings.CutPrefix(a, "--strategy="); ok {
			return v
		}
		if a == "--strategy" && i+1 < len(r.Args) {
			return r.Args[i+1]
		}
	}
	return "naive"
}

// ReadClaims pairs the claims package's claims and scenarios with the
// outcomes `idemsim claims` recorded in path (results/claims.txt, kept
// current by a test of the command). A scenario the file does not have is
// an error: the file is stale.
func ReadClaims(path string) ([]Claim, error) {
	data, err := readInput(path)
	if err != nil {
		return nil, inputErr("report: %w (make results writes it)", err)
	}
	outcomes := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "  ")
		if !ok || strings.HasPrefix(rest, " ") {
			continue
		}
		if name, outcome, ok := strings.Cut(rest, ": "); ok {
			outcomes[name] = outcome
		}
	}
	all, err := claims.All()
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var out []Claim
	for _, c := range all {
		rc := Claim{Claim: c}
		for _, s := range c.Scenarios {
			outcome, ok := outcomes[s.Name]
			if !ok {
				return nil, inputErr("report: %s: no outcome for scenario %s of claim %d: the file is stale (make results)", path, s.Name, c.N)
			}
			r := ScenarioResult{Scenario: s, Outcome: outcome, Command: "idemsim run --scenario " + s.Name}
			switch {
			case strings.HasPrefix(s.Comment, "Holds"):
				r.Side = "holds"
				rc.Holds++
			case strings.HasPrefix(s.Comment, "Breaks"):
				r.Side = "breaks"
				rc.Breaks++
			}
			rc.Results = append(rc.Results, r)
		}
		out = append(out, rc)
	}
	return out, nil
}
