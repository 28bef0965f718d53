package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/idemsim/idemsim/internal/probes"
)

// The scenarios of the services use the probes: small strategies that each
// exercise one service.
func init() { extraStrategies = probes.All() }

// Goal: each edge case the thread argues about reads as a scenario file a
// reader can follow line by line — the command, the timeline, the verdict.
// Method: every `run` directive's input is the flags of `idemsim run`; the
// expected output is what the command prints. Regenerate with
// `go test ./cmd/idemsim -run TestScenarios -rewrite` and review the diff.
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata/scenarios", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "run":
				// Example:
				//   run
				//   --strategy naive --servers 1 --fault 'drop-response c1/o1.1/a1' --trace
				args := scenarioArgs(d.Input)
				var stdout, stderr bytes.Buffer
				if code := run(append([]string{"run"}, args...), &stdout, &stderr); code != 0 {
					return "exit " + string(rune('0'+code)) + ": " + stderr.String()
				}
				return stdout.String()
			default:
				d.Fatalf(t, "unknown directive %q (accepted: run); go test ./cmd/idemsim -run TestScenarios", d.Cmd)
				return ""
			}
		})
	})
}

// scenarioArgs splits the directive's input into arguments: whitespace
// separates them, single quotes group, as in a shell.
func scenarioArgs(input string) []string {
	var args []string
	var cur strings.Builder
	quoted, inArg := false, false
	for _, r := range input {
		switch {
		case r == '\'':
			quoted = !quoted
			inArg = true
		case !quoted && (r == ' ' || r == '\n' || r == '\t'):
			if inArg {
				args = append(args, cur.String())
				cur.Reset()
				inArg = false
			}
		default:
			cur.WriteRune(r)
			inArg = true
		}
	}
	if inArg {
		args = append(args, cur.String())
	}
	return args
}
