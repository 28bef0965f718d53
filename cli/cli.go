package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/idemsim/idemsim/internal/crash"
	"github.com/idemsim/idemsim/internal/gctune"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

const topUsage = `idemsim — how should a server treat a repeated idempotency key?

usage:
  idemsim run [flags]     run one strategy in one simulated world and audit it
  idemsim live [flags]    run one strategy live: real HTTP servers on PostgreSQL and Redis, through a fault proxy
  idemsim sim-vs-live     every claim scenario simulated and run live, verdicts side by side (results/sim-vs-live)
  idemsim check-examples  the example payments services in each mode, checked with live --target (results/check-examples)
  idemsim list            list the strategies and the thread position each implements
  idemsim claims          run the thread's claims as scenarios and say what each showed
  idemsim table           every strategy in the standard edge cases (docs/strategies.md)
  idemsim shrink [flags]  make a failing run minimal: fewer faults, clients, servers, ops
  idemsim explore [flags] every schedule of a small world within fault and delay bounds, audited
  idemsim sql FILE        run an interleaved multi-session SQL script on the simulated database
  idemsim experiment NAME run a named sweep into results/NAME (--list: the experiments)
  idemsim merge FILE...   add up an experiment's shard files into its results
  idemsim report          draw the experiments' results and write the report's pages (results/index.html)
  idemsim scorecard       the verdict per strategy over every experiment, as Markdown
  idemsim help [command]  this text, or a command's flags

Run 'idemsim run --help' for the world, client and fault flags.

Exit status: 0 done (whatever the run found); 1 a failure idemsim reports (a
file it cannot write, a run stopped at its event limit); 2 bad input (one
line on stderr says what and what is accepted); 3 a crash, which is a bug
in idemsim whatever the input (the stack is on stderr: please report it).
`

// Main is the whole idemsim command — run, live, experiment, shrink,
// table, list and the rest — with the strategies given added to the
// catalogue's, as if they were built in: every flag that names a strategy
// accepts theirs, and every sweep and listing that walks the catalogue
// walks theirs after it. It reads os.Args and ends the process with the
// command's exit status. A strategy that is incomplete or whose name is
// taken (models.Check) ends it with status 2 and the reason on stderr.
func Main(strategies ...api.Strategy) {
	gctune.Apply()
	if err := models.Register(strategies...); err != nil {
		fmt.Fprintf(os.Stderr, "idemsim: %v\n", err)
		os.Exit(exitUsage)
	}
	os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr))
}

// Run is the command on the arguments given (without the program's name),
// writing to stdout and stderr and returning the exit status instead of
// ending the process: for tests of a program built on Main, after
// models.Register has added its strategies.
func Run(args []string, stdout, stderr io.Writer) int { return run(args, stdout, stderr) }

// The exit statuses: a command that did its work, a failure it reports
// (I/O, a run stopped at its event limit), bad input, and a crash.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
	exitCrash   = 3
)

// run is main without os.Exit, for tests.
func run(args []string, stdout, stderr io.Writer) int {
	return guard(args, stderr, func() error { return dispatch(args, stdout, stderr) })
}

// guard runs a command and turns its outcome into the exit status; the
// error, if any, goes to stderr. A panic is a bug whatever the input, so
// it gets a status of its own (Go's runtime would exit 2, the status of a
// usage error), and stderr gets what a report of it needs. The runtime's
// fatal errors — a stack overflow, running out of memory, a deadlock —
// cannot be recovered and still exit 2: the parsers bound their recursion
// and the commands their inputs so that no input reaches one.
func guard(args []string, stderr io.Writer, cmd func() error) int {
	var err error
	if p := crash.Catch(func() { err = cmd() }); p != nil {
		if rp, ok := p.Value.(*world.RunPanic); ok && !models.IsBuiltin(rp.Strategy) {
			// A strategy this program registered (cli.Main) was running:
			// its own code, or a rule of sim/api it broke, is the first
			// suspect, and its authors the first to tell.
			fmt.Fprintf(stderr, "idemsim: a run of strategy %s panicked (that strategy is not idemsim's own but registered by this program: look at it first): %v\n", rp.Strategy, p)
			fmt.Fprintf(stderr, "If the stack below shows the fault in idemsim, report it as an issue of the idemsim repository, with this whole message.\n")
			fmt.Fprintf(stderr, "command: %s\n\n%s", cmdline(args), p.Stack)
			return exitCrash
		}
		fmt.Fprintf(stderr, "idemsim: internal error (a bug in idemsim, not in what it was given): %v\n", p)
		fmt.Fprintf(stderr, "Please report it as an issue of the idemsim repository, with this whole message: the command and the stack below.\n")
		fmt.Fprintf(stderr, "command: %s\n\n%s", cmdline(args), p.Stack)
		return exitCrash
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintln(stderr, err)
	var ue *usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	return exitFailure
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("idemsim: missing command (accepted: run, live, sim-vs-live, check-examples, shrink, explore, list, claims, table, sql, experiment, merge, report, scorecard, help)")
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdout, stderr)
	case "sql":
		return sqlCommand(args[1:], stdout)
	case "live":
		return liveCommand(args[1:], stdout, stderr)
	case "sim-vs-live":
		return simVsLiveCommand(args[1:], stdout, stderr)
	case "check-examples":
		return checkExamplesCommand(args[1:], stdout, stderr)
	case "experiment":
		return experimentCommand(args[1:], stdout, stderr)
	case "merge":
		return mergeCommand(args[1:], stdout)
	case "shrink":
		return shrinkCommand(args[1:], stdout, stderr)
	case "explore":
		return exploreCommand(args[1:], stdout)
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
		case args[1] == "live":
			return liveCommand([]string{"--help"}, stdout, stderr)
		case args[1] == "sim-vs-live":
			return simVsLiveCommand([]string{"--help"}, stdout, stderr)
		case args[1] == "check-examples":
			return checkExamplesCommand([]string{"--help"}, stdout, stderr)
		case args[1] == "shrink":
			return shrinkCommand([]string{"--help"}, stdout, stderr)
		case args[1] == "explore":
			return exploreCommand([]string{"--help"}, stdout)
		case args[1] == "experiment":
			return experimentCommand([]string{"--help"}, stdout, stderr)
		case args[1] == "merge":
			return mergeCommand([]string{"--help"}, stdout)
		case args[1] == "report":
			return reportCommand([]string{"--help"}, stdout)
		case args[1] == "scorecard":
			return scorecardCommand([]string{"--help"}, stdout)
		}
		return usagef("idemsim help: unknown command %q (accepted: run, live, sim-vs-live, check-examples, shrink, explore, list, claims, table, sql, experiment, merge, report, scorecard, help)", args[1])
	}
	return usagef("idemsim: unknown command %q (accepted: run, live, sim-vs-live, check-examples, shrink, explore, list, claims, table, sql, experiment, merge, report, scorecard, help)", args[0])
}

// cmdline prints args as the shell command line that runs them.
func cmdline(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = shellQuote(a)
	}
	return strings.TrimSpace("idemsim " + strings.Join(q, " "))
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
