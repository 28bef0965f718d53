// Command idemsim runs the idempotency-key simulator: one strategy, one seed,
// one world, and a verdict with the command that reproduces it.
//
//	idemsim run --strategy naive --seed 1 --drop-response 0.2
//	idemsim list
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/idemsim/idemsim/internal/gctune"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
)

const topUsage = `idemsim — how should a server treat a repeated idempotency key?

usage:
  idemsim run [flags]     run one strategy in one simulated world and audit it
  idemsim list            list the strategies and the thread position each implements
  idemsim claims          run the thread's claims as scenarios and say what each showed
  idemsim table           every strategy in the standard edge cases, as the README's table
  idemsim shrink [flags]  make a failing run minimal: fewer faults, clients, servers, ops
  idemsim sql FILE        run an interleaved multi-session SQL script on the simulated database
  idemsim experiment NAME run a named sweep into results/NAME (--list: the experiments)
  idemsim merge FILE...   add up an experiment's shard files into its results
  idemsim report          draw the experiments' results and write the report's pages (results/index.html)
  idemsim scorecard       the verdict per strategy over every experiment, as Markdown
  idemsim help [command]  this text, or a command's flags

Run 'idemsim run --help' for the world, client and fault flags.
`

func main() {
	gctune.Apply()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without os.Exit, for tests: 0 ok, 1 failure, 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout, stderr)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, err)
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("idemsim: missing command (accepted: run, shrink, list, claims, table, sql, experiment, merge, report, scorecard, help)")
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdout, stderr)
	case "sql":
		return sqlCommand(args[1:], stdout)
	case "experiment":
		return experimentCommand(args[1:], stdout, stderr)
	case "merge":
		return mergeCommand(args[1:], stdout)
	case "shrink":
		return shrinkCommand(args[1:], stdout, stderr)
	case "report":
		return reportCommand(args[1:], stdout)
	case "scorecard":
		return scorecardCommand(args[1:], stdout)
	case "claims":
		if len(args) > 1 {
			return usagef("idemsim claims: takes no arguments, got %q", strings.Join(args[1:], " "))
		}
		return claimsCommand(stdout)
	case "table":
		if len(args) > 1 {
			return usagef("idemsim table: takes no arguments, got %q", strings.Join(args[1:], " "))
		}
		return tableCommand(stdout)
	case "list":
		if len(args) > 1 {
			return usagef("idemsim list: takes no arguments, got %q", strings.Join(args[1:], " "))
		}
		return listCommand(stdout)
	case "help", "-h", "--help":
		switch {
		case len(args) > 2:
			return usagef("idemsim help: takes one command, got %q", strings.Join(args[1:], " "))
		case len(args) == 1, args[1] == "list", args[1] == "claims", args[1] == "table", args[1] == "help":
			_, err := io.WriteString(stdout, topUsage)
			return err
		case args[1] == "run":
			return runCommand([]string{"--help"}, stdout, stderr)
		case args[1] == "sql":
			return sqlCommand([]string{"--help"}, stdout)
		case args[1] == "shrink":
			return shrinkCommand([]string{"--help"}, stdout, stderr)
		case args[1] == "experiment":
			return experimentCommand([]string{"--help"}, stdout, stderr)
		case args[1] == "merge":
			return mergeCommand([]string{"--help"}, stdout)
		case args[1] == "report":
			return reportCommand([]string{"--help"}, stdout)
		}
		return usagef("idemsim help: unknown command %q (accepted: run, shrink, list, claims, table, sql, experiment, merge, report, scorecard, help)", args[1])
	}
	return usagef("idemsim: unknown command %q (accepted: run, shrink, list, claims, table, sql, experiment, merge, report, scorecard, help)", args[0])
}

func listCommand(stdout io.Writer) error {
	for _, s := range models.All() {
		fmt.Fprintf(stdout, "%s\n", s.Name)
		fmt.Fprintf(stdout, "  rule:     %s\n", s.Rule)
		fmt.Fprintf(stdout, "  thread:   %s\n", s.Position)
		fmt.Fprintf(stdout, "  contract: %s\n", s.Contract)
		if len(s.Switches) > 0 {
			fmt.Fprintf(stdout, "  switches: %s\n", s.Defaults.Format(s.Switches))
		}
		if s.Levels != nil {
			var names []string
			for _, l := range s.Levels {
				names = append(names, l.Slug())
			}
			fmt.Fprintf(stdout, "  levels:   %s\n", strings.Join(names, ", "))
		}
		if len(s.CrashPoints) > 0 {
			fmt.Fprintf(stdout, "  crash points: %s\n", strings.Join(s.CrashPoints, ", "))
		}
	}
	return nil
}

// switchSyntax lists the switches' accepted forms.
func switchSyntax() string {
	var forms []string
	for _, sw := range api.AllSwitches() {
		forms = append(forms, api.SwitchSyntax[sw])
	}
	return strings.Join(forms, "; ")
}
