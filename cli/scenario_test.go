package cli

import (
	"bytes"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/internal/probes"
)

// The scenarios of the services use the probes: small strategies that each
// exercise one service.
func init() { extraStrategies = probes.All() }

// Goal: each edge case the thread argues about reads as a scenario file a
// reader can follow line by line — the command, the timeline, the verdict.
// Method: every `run` directive's input is the flags of `idemsim run`; the
// expected output is what the command prints. Regenerate with
// `go test ./cli -run TestScenarios -rewrite` and review the diff.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "run":
				// Example:
				//   run
				//   --strategy naive --servers 1 --fault 'drop-response c1/o1.1/a1' --trace
				args := claims.SplitArgs(d.Input)
				var stdout, stderr bytes.Buffer
				if code := run(append([]string{"run"}, args...), &stdout, &stderr); code != 0 {
					return "exit " + string(rune('0'+code)) + ": " + stderr.String()
				}
				return stdout.String()
			default:
				d.Fatalf(t, "unknown directive %q (accepted: run); go test ./cli -run TestScenarios", d.Cmd)
				return ""
			}
		})
	})
}

// Goal: each claim of the thread is settled by scenarios whose timeline and
// verdict are pinned, and each run scenario reaches the verdict its
// directive states (expect=holds: no violation; expect=breaks: some;
// expect=KINDS: exactly those kinds), which for a scenario introduced as
// "Holds" or "Breaks" is that side (claims.Parse checks it).
// Method: every claim file under claims/scenarios is a datadriven file; a
// `run scenario=NAME` directive's expected output is what `idemsim run
// --scenario NAME` prints. Regenerate with
// `go test ./cli -run TestClaimScenarios -rewrite` and review the diff.
func TestClaimScenarios(t *testing.T) {
	datadriven.Walk(t, "../claims/scenarios", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.Cmd != "run" && d.Cmd != "sql" {
				d.Fatalf(t, "unknown directive %q (accepted: run scenario=NAME expect=VERDICT, sql scenario=NAME); go test ./cli -run TestClaimScenarios", d.Cmd)
			}
			var name string
			d.ScanArgs(t, "scenario", &name)
			sc, err := claims.Lookup(name)
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			out, err := runScenario(sc)
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			rerun := "reproduce: go test ./cli -run 'TestClaimScenarios' or: idemsim run --scenario " + name
			if sc.Script == "" {
				assert.NoError(t, sc.Expect.Check(out.Report.Counts), "scenario %s shows %s\n%s", name, out.Text(), rerun)
			}
			var stdout, stderr bytes.Buffer
			if code := run([]string{"run", "--scenario", name}, &stdout, &stderr); code != 0 {
				return "exit " + string(rune('0'+code)) + ": " + stderr.String()
			}
			return stdout.String()
		})
	})
}
