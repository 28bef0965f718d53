package cli

import (
	"bytes"
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/report"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/world"
)

var update = flag.Bool("update", false, "rewrite cli/testdata/*.golden from the current output")

// cliResult is what one invocation of the command produced.
type cliResult struct {
	code           int
	stdout, stderr string
}

// rerun is the command that reruns the calling test or subtest alone, and
// the idemsim invocation it checks; every failure message carries it.
func rerun(t *testing.T, args []string) string {
	s := testcmd.Rerun(t, "./cli")
	if args != nil {
		s += "\n       or: " + cmdline(args)
	}
	return s
}

// runCLI calls run as main would, and turns a panic into a failure that
// names the command.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := -1
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("%s panicked: %v\n%s", cmdline(args), r, rerun(t, args))
			}
		}()
		code = run(args, &stdout, &stderr)
	}()
	return cliResult{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// lineWith returns the first line of out that starts with prefix.
func lineWith(out, prefix string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// usageCase is one invocation that must be refused. The refusal is exit
// status code (2 for bad input, 1 for I/O), nothing on stdout, and exactly
// one line on stderr that contains names (the flag or word at fault) and
// accepted (the accepted range or syntax). $DIR in args is a fresh
// directory; file, when set, is written to $DIR/f.faults first.
type usageCase struct {
	name     string
	args     []string
	file     string
	code     int
	names    string
	accepted string
}

// Goal: every bad invocation is refused the same way — exit status 2 (1 for
// I/O), one line on stderr naming the flag and what is accepted, nothing on
// stdout, no panic — so a user (or a script) can always tell what to fix.
// Method: a table of invocations covering each kind of value the flags take
// (strategy, rates, counts, durations, distributions, partitions, crashes,
// links, policy, operation ids), the parser's own errors (unknown flag,
// missing value, flag given twice, value on a boolean), cross-flag checks,
// commands, and --replay of missing and malformed files.
func TestInvalidInput(t *testing.T) {
	const (
		rate     = "is not a probability in [0, 1]"
		goDur    = "(accepted: a Go duration like 250ms, 2s or 1h)"
		commands = "(accepted: run, live, sim-vs-live, check-examples, shrink, explore, list, claims, table, sql, experiment, merge, report, scorecard, help)"
	)
	cases := []usageCase{
		{name: "reuse-key-not-a-rate", args: []string{"run", "--reuse-key", "2"}, code: 2, names: "--reuse-key", accepted: "not a probability in [0, 1]"},
		{name: "delete-without-delete-handler", args: []string{"run", "--delete-after", "0.5"}, code: 2, names: "--delete-after", accepted: "strategy naive has no delete handler (accepted: "},
		{name: "delete-not-a-rate", args: []string{"run", "--strategy", "client-id", "--delete-after", "-1"}, code: 2, names: "--delete-after", accepted: "not a probability in [0, 1]"},
		{name: "key-after-5xx-unknown", args: []string{"run", "--key-after-5xx", "rotate"}, code: 2, names: `--key-after-5xx: "rotate"`, accepted: "(accepted: keep, new)"},
		{name: "work-unknown", args: []string{"run", "--work", "remote"}, code: 2, names: `--work: "remote"`, accepted: "(accepted: local, charge)"},
		{name: "switch-not-accepted", args: []string{"run", "--strategy", "unique-409", "--switch", "lease=5s"}, code: 2, names: "--switch: strategy unique-409: switch lease", accepted: "(accepted: downstream)"},
		{name: "switch-bad-value", args: []string{"run", "--strategy", "select-for-update", "--switch", "retention=soon"}, code: 2, names: `--switch: strategy select-for-update: switch "retention=soon": bad value "soon"`, accepted: "retention=forever|DURATION[:accept|:reject]"},
		{name: "switch-unknown", args: []string{"run", "--switch", "colour=red"}, code: 2, names: `switch "colour=red"`, accepted: "NAME one of retention, failures, lease, downstream"},
		{name: "ssi-locks-unknown", args: []string{"run", "--ssi-locks", "row"}, code: 2, names: `--ssi-locks: "row"`, accepted: "(accepted: page, key)"},
		{name: "unknown-scenario", args: []string{"run", "--scenario", "bogus"}, code: 2, names: `--scenario: unknown scenario "bogus"`, accepted: "(accepted: unique-409-response-lost, "},
		{name: "statements-with-rates", args: []string{"sim-vs-live", "--statements", "--rates-only"}, code: 2, names: "--statements runs no rates", accepted: "(accepted with --statements: --runs, --scenario, --out, --table-only, --max-real)"},
		{name: "claims-with-argument", args: []string{"claims", "1"}, code: 2, names: `idemsim claims: takes no arguments, got "1"`, accepted: "no arguments"},
		{name: "retry-after-unknown", args: []string{"run", "--retry-after", "maybe"}, code: 2, names: `--retry-after: "maybe"`, accepted: "(accepted: honour, ignore)"},
		{name: "sql-scenario-with-flags", args: []string{"run", "--scenario", "read-only-transaction-aborted", "--trace"}, code: 2, names: "--scenario read-only-transaction-aborted: a SQL scenario takes no other flag", accepted: "alone"},
		{name: "unknown-strategy", args: []string{"run", "--strategy", "bogus"}, code: 2, names: `--strategy: "bogus"`, accepted: "(accepted: " + strings.Join(models.Names(), ", ") + ")"},
		{name: "drop-request-negative", args: []string{"run", "--drop-request", "-0.1"}, code: 2, names: `--drop-request: rate "-0.1"`, accepted: rate},
		{name: "drop-request-negative-equals", args: []string{"run", "--drop-request=-0.1"}, code: 2, names: `--drop-request: rate "-0.1"`, accepted: rate},
		{name: "drop-response-above-one", args: []string{"run", "--drop-response", "1.5"}, code: 2, names: `--drop-response: rate "1.5"`, accepted: rate},
		{name: "duplicate-not-a-number", args: []string{"run", "--duplicate", "abc"}, code: 2, names: `--duplicate: rate "abc"`, accepted: rate},
		{name: "reset-nan", args: []string{"run", "--reset", "NaN"}, code: 2, names: `--reset: rate "NaN"`, accepted: rate},
		{name: "servers-zero", args: []string{"run", "--servers", "0"}, code: 2, names: `--servers: "0"`, accepted: "not an integer in [1, 1000]"},
		{name: "servers-word", args: []string{"run", "--servers", "three"}, code: 2, names: `--servers: "three"`, accepted: "not an integer in [1, 1000]"},
		{name: "clients-zero", args: []string{"run", "--clients", "0"}, code: 2, names: `--clients: "0"`, accepted: "not an integer in [1, 10000]"},
		{name: "ops-zero", args: []string{"run", "--ops", "0"}, code: 2, names: `--ops: "0"`, accepted: "not an integer in [1, 32767]"},
		{name: "attempts-zero", args: []string{"run", "--attempts", "0"}, code: 2, names: `--attempts: "0"`, accepted: "not an integer in [1, 1000]"},
		{name: "seed-negative", args: []string{"run", "--seed", "-1"}, code: 2, names: `--seed: "-1"`, accepted: "not an integer in [0, 18446744073709551615]"},
		{name: "max-events-zero", args: []string{"run", "--max-events", "0"}, code: 2, names: `--max-events: "0"`, accepted: "not an integer in [1, "},
		{name: "violations-negative", args: []string{"run", "--violations", "-1"}, code: 2, names: `--violations: "-1"`, accepted: "not an integer in [0, "},
		{name: "timeout-no-unit", args: []string{"run", "--timeout", "5"}, code: 2, names: `--timeout: "5"`, accepted: goDur},
		{name: "timeout-abc", args: []string{"run", "--timeout", "abc"}, code: 2, names: `--timeout: "abc"`, accepted: goDur},
		{name: "timeout-negative", args: []string{"run", "--timeout", "-1s"}, code: 2, names: `--timeout: "-1s" is not a duration > 0`, accepted: goDur},
		{name: "timeout-zero", args: []string{"run", "--timeout", "0s"}, code: 2, names: `--timeout: "0s" is not a duration > 0`, accepted: goDur},
		{name: "backoff-base-negative", args: []string{"run", "--backoff-base", "-1ms"}, code: 2, names: `--backoff-base: "-1ms" is not a duration >= 0`, accepted: goDur},
		{name: "deadline-zero", args: []string{"run", "--deadline", "0s"}, code: 2, names: `--deadline: "0s"`, accepted: goDur},
		{name: "delay-lognormal-no-sigma", args: []string{"run", "--delay", "lognormal:5ms"}, code: 2, names: `--delay: "lognormal:5ms": lognormal needs MEDIAN,SIGMA`, accepted: sim.DistSyntax},
		{name: "delay-uniform-reversed", args: []string{"run", "--delay", "uniform:5ms..1ms"}, code: 2, names: "--delay", accepted: sim.DistSyntax},
		{name: "think-exp-zero", args: []string{"run", "--think", "exp:0s"}, code: 2, names: "--think", accepted: sim.DistSyntax},
		{name: "service-time-negative", args: []string{"run", "--service-time", "-1ms"}, code: 2, names: "--service-time", accepted: sim.DistSyntax},
		{name: "partition-no-window", args: []string{"run", "--partition", "clients|s1"}, code: 2, names: `--partition: "clients|s1": missing '@'`, accepted: faults.PartitionSyntax},
		{name: "partition-to-before-from", args: []string{"run", "--partition", "clients|s1@5s..2s"}, code: 2, names: "--partition", accepted: faults.PartitionSyntax},
		{name: "partition-bad-node", args: []string{"run", "--partition", "clients|x1@1s..2s"}, code: 2, names: `--partition: "clients|x1@1s..2s": bad node "x1"`, accepted: faults.PartitionSyntax},
		{name: "partition-no-such-server", args: []string{"run", "--clients", "4", "--partition", "clients|s9@1s..2s"}, code: 2, names: "--partition", accepted: "this run has c1..c4, s1..s3"},
		{name: "crash-missing-at", args: []string{"run", "--crash", "s1"}, code: 2, names: `--crash: "s1": missing '@'`, accepted: faults.CrashSyntax},
		{name: "crash-negative-time", args: []string{"run", "--crash", "s1@-1s"}, code: 2, names: `--crash: "s1@-1s": negative time`, accepted: faults.CrashSyntax},
		{name: "crash-group", args: []string{"run", "--crash", "servers@1s"}, code: 2, names: `--crash: "servers@1s": bad node "servers"`, accepted: faults.CrashSyntax},
		{name: "crash-s9-of-3", args: []string{"run", "--crash", "s9@1s"}, code: 2, names: "--crash", accepted: "servers are s1..s3"},
		{name: "crash-client-node", args: []string{"run", "--crash", "c1@1s"}, code: 2, names: "--crash", accepted: "servers are s1..s3"},
		{name: "client-crash-c99-of-4", args: []string{"run", "--clients", "4", "--client-crash", "c99@1s"}, code: 2, names: "--client-crash", accepted: "clients are c1..c4"},
		{name: "link-missing-colon", args: []string{"run", "--link", "clients-s2"}, code: 2, names: `--link: "clients-s2": missing ':'`, accepted: faults.LinkRuleSyntax},
		{name: "link-unknown-field", args: []string{"run", "--link", "clients-s2:bogus=1"}, code: 2, names: `--link: "clients-s2:bogus=1": unknown field "bogus"`, accepted: faults.LinkRuleSyntax},
		{name: "link-rate", args: []string{"run", "--link", "clients-s2:drop-response=2"}, code: 2, names: `--link: "clients-s2:drop-response=2": rate "2"`, accepted: faults.LinkRuleSyntax},
		{name: "link-no-such-client", args: []string{"run", "--clients", "4", "--link", "c99-s1:reset=0.1"}, code: 2, names: "--link", accepted: "this run has c1..c4, s1..s3"},
		{name: "policy-unknown-action", args: []string{"run", "--policy", "409=bogus"}, code: 2, names: `--policy: "409=bogus": unknown action "bogus"`, accepted: world.PolicySyntax},
		{name: "policy-status-600", args: []string{"run", "--policy", "600=retry"}, code: 2, names: `--policy: "600=retry": bad status "600"`, accepted: world.PolicySyntax},
		{name: "trace-op-bad", args: []string{"run", "--trace-op", "x"}, code: 2, names: `--trace-op: bad operation "x"`, accepted: "(accepted: oQUEUE.INDEX like o3.7, each in [1, 32767])"},
		{name: "balancer-unknown", args: []string{"run", "--balancer", "least-loaded"}, code: 2, names: `--balancer: "least-loaded"`, accepted: "(accepted: round-robin, random)"},
		{name: "key-on-restart-unknown", args: []string{"run", "--key-on-restart", "forget"}, code: 2, names: `--key-on-restart: "forget"`, accepted: "(accepted: persist, regenerate)"},
		{name: "workers-per-op-zero", args: []string{"run", "--workers-per-op", "0"}, code: 2, names: `--workers-per-op: "0"`, accepted: "not an integer in [1, 10000]"},
		{name: "workers-per-op-3-of-16", args: []string{"run", "--workers-per-op", "3", "--clients", "16"}, code: 2, names: "--workers-per-op", accepted: "divide clients (16)"},
		{name: "backoff-base-above-cap", args: []string{"run", "--backoff-base", "2s", "--backoff-cap", "1s"}, code: 2, names: "--backoff-base", accepted: "want 0 <= base <= cap"},
		{name: "unknown-flag", args: []string{"run", "--bogus"}, code: 2, names: "unknown flag --bogus", accepted: "(see idemsim run --help)"},
		{name: "unknown-flag-with-value", args: []string{"run", "--drop=0.1"}, code: 2, names: "unknown flag --drop", accepted: "(see idemsim run --help)"},
		{name: "missing-value", args: []string{"run", "--seed"}, code: 2, names: "--seed needs a value", accepted: ": N"},
		{name: "missing-duration", args: []string{"run", "--strategy", "naive", "--timeout"}, code: 2, names: "--timeout needs a value", accepted: ": DURATION"},
		{name: "flag-twice", args: []string{"run", "--seed", "1", "--seed", "2"}, code: 2, names: "--seed", accepted: "given twice"},
		{name: "bool-with-value", args: []string{"run", "--trace=1"}, code: 2, names: "--trace", accepted: "takes no value"},
		{name: "run-extra-argument", args: []string{"run", "extra"}, code: 2, names: `unexpected argument "extra"`, accepted: "(flags start with --)"},
		{name: "list-extra-argument", args: []string{"list", "extra"}, code: 2, names: `idemsim list: takes no arguments, got "extra"`, accepted: "takes no arguments"},
		{name: "unknown-command", args: []string{"bogus"}, code: 2, names: `unknown command "bogus"`, accepted: commands},
		{name: "no-command", args: []string{}, code: 2, names: "missing command", accepted: commands},
		{name: "help-unknown-command", args: []string{"help", "bogus"}, code: 2, names: `"bogus"`, accepted: commands},
		{name: "replay-missing-file", args: []string{"run", "--replay", "$DIR/missing.faults"}, code: 2, names: "--replay", accepted: "no such file or directory"},
		{name: "replay-malformed-line", args: []string{"run", "--replay", "$DIR/f.faults"}, file: "# recorded\ncrash s1@1s\ncrash s1\n",
			code: 2, names: "--replay $DIR/f.faults: line 3", accepted: faults.CrashSyntax},
		{name: "replay-unknown-kind", args: []string{"run", "--replay", "$DIR/f.faults"}, file: "bogus c1/o1.1/a1 at=1s\n",
			code: 2, names: "--replay $DIR/f.faults: line 1", accepted: "client-crash"},
		{name: "replay-no-such-caller", args: []string{"run", "--clients", "4", "--replay", "$DIR/f.faults"}, file: "drop-request c99/o1.1/a1 at=1s\n",
			code: 2, names: "--replay", accepted: "c1..c4"},
		{name: "replay-crash-s9-of-3", args: []string{"run", "--clients", "4", "--ops", "5", "--replay", "$DIR/f.faults"}, file: "crash s9@1s\n",
			code: 2, names: "--replay", accepted: "servers are s1..s3"},
		{name: "replay-client-crash-c9-of-4", args: []string{"run", "--clients", "4", "--ops", "5", "--replay", "$DIR/f.faults"}, file: "client-crash c9@1s\n",
			code: 2, names: "--replay", accepted: "clients are c1..c4"},
		{name: "isolation-unknown", args: []string{"run", "--isolation", "snapshot"}, code: 2, names: `--isolation: "snapshot"`, accepted: "read-committed, read-uncommitted, repeatable-read, serializable, dirty-reads, serializable-2pl"},
		{name: "db-pool-zero", args: []string{"run", "--db-pool", "0"}, code: 2, names: `--db-pool: "0"`, accepted: "not an integer in [1, 10000]"},
		{name: "db-drop-connection-rate", args: []string{"run", "--db-drop-connection", "2"}, code: 2, names: `--db-drop-connection: rate "2"`, accepted: rate},
		{name: "deadlock-timeout-zero", args: []string{"run", "--deadlock-timeout", "0s"}, code: 2, names: "--deadlock-timeout", accepted: goDur},
		{name: "kv-maxmemory-negative", args: []string{"run", "--kv-maxmemory", "-1"}, code: 2, names: `--kv-maxmemory: "-1"`, accepted: "a number of bytes >= 0"},
		{name: "kv-eviction-unknown", args: []string{"run", "--kv-eviction", "random"}, code: 2, names: "--kv-eviction", accepted: "noeviction, allkeys-lru, volatile-ttl"},
		{name: "kv-failover-not-a-time", args: []string{"run", "--kv-failover", "soon"}, code: 2, names: `--kv-failover: "soon"`, accepted: "a Go duration from the start like 5s"},
		{name: "gateway-unknown-mode", args: []string{"run", "--gateway", "stripe"}, code: 2, names: "--gateway", accepted: "idempotent"},
		{name: "gateway-timeout-rate", args: []string{"run", "--gateway-timeout", "-1"}, code: 2, names: "--gateway-timeout", accepted: rate},
		{name: "queue-max-receives", args: []string{"run", "--queue-max-receives", "-1"}, code: 2, names: "--queue-max-receives", accepted: "not an integer in [0, 1000]"},
		{name: "clock-skew-no-colon", args: []string{"run", "--clock-skew", "s2"}, code: 2, names: `--clock-skew: "s2"`, accepted: "want NODE:OFFSET like s2:+3s"},
		{name: "clock-skew-bad-offset", args: []string{"run", "--clock-skew", "s2:3"}, code: 2, names: `--clock-skew: "s2:3": bad offset`, accepted: "a signed Go duration like +3s"},
		{name: "clock-skew-no-such-server", args: []string{"run", "--clock-skew", "s9:+3s"}, code: 2, names: "--clock-skew: no server or service s9", accepted: "servers are s1..s3"},
		{name: "clock-drift-range", args: []string{"run", "--clock-drift", "s1:3"}, code: 2, names: `--clock-drift: "s1:3": bad rate`, accepted: "a number in (0.5, 2)"},
		{name: "crash-at-bad-syntax", args: []string{"run", "--crash-at", "s1"}, code: 2, names: `--crash-at: "s1": missing ':'`, accepted: faults.CrashPointSyntax},
		{name: "crash-at-unnamed-point", args: []string{"run", "--crash-at", "s1:after-commit"}, code: 2, names: `--crash-at: s1:after-commit#1+1s: strategy naive names no point "after-commit"`, accepted: "(accepted: after-charge)"},
		{name: "crash-at-no-such-server", args: []string{"run", "--crash-at", "s9:after-charge"}, code: 2, names: "--crash-at", accepted: "servers are s1..s3"},
		{name: "pause-no-length", args: []string{"run", "--pause", "s1@1s"}, code: 2, names: `--pause: "s1@1s": missing '+LENGTH'`, accepted: faults.PauseSyntax},
		{name: "pause-a-service", args: []string{"run", "--pause", "db@1s+1s"}, code: 2, names: "--pause", accepted: "pause targets a server"},
		{name: "crash-kv-accepted-db-not", args: []string{"run", "--crash", "db@1s"}, code: 2, names: "--crash", accepted: "servers are s1..s3; kv restarts the store"},
		{name: "trace-op-no-such-operation", args: []string{"run", "--trace-op", "o99.1"}, code: 2, names: "--trace-op: no operation o99.1", accepted: "this run has o1.1..o16.50"},
		{name: "faults-out-empty", args: []string{"run", "--faults-out", ""}, code: 2, names: "--faults-out: empty file name", accepted: "empty file name"},
		{name: "faults-out-directory", args: []string{"run", "--faults-out", "$DIR"}, code: 2, names: "--faults-out $DIR: is a directory", accepted: "want a file name"},
		{name: "faults-out-missing-directory", args: []string{"run", "--faults-out", "$DIR/no/f.faults"}, code: 2, names: "--faults-out $DIR/no/f.faults", accepted: "does not exist"},
		{name: "replay-empty-name", args: []string{"run", "--replay", ""}, code: 2, names: "--replay: empty file name", accepted: "empty file name"},
		{name: "scenario-file-missing", args: []string{"run", "--scenario-file", "$DIR/missing.txt"}, code: 2, names: "--scenario-file $DIR/missing.txt", accepted: "no such file or directory"},
		{name: "scenario-file-two-runs", args: []string{"run", "--scenario-file", "$DIR/f.faults"}, file: "run\n--strategy naive\n----\n\nrun\n--strategy naive\n----\n",
			code: 2, names: "--scenario-file: $DIR/f.faults:5", accepted: "a second run directive: the file must hold one"},
		{name: "scenario-file-nested", args: []string{"run", "--scenario-file", "$DIR/f.faults"}, file: "run\n--scenario-file x\n----\n",
			code: 2, names: "--scenario-file $DIR/f.faults", accepted: "(accepted: the flags of one run)"},
		{name: "scenario-and-scenario-file", args: []string{"run", "--scenario", "unique-409-response-lost", "--scenario-file", "$DIR/f.faults"}, file: "run\n--strategy naive\n----\n",
			code: 2, names: "--scenario and --scenario-file", accepted: "give one"},
		{name: "out-is-a-file", args: []string{"run", "--out", "$DIR/f.faults"}, file: "x\n", code: 2, names: "--out $DIR/f.faults: is a file", accepted: "want a directory"},
		{name: "out-parent-missing", args: []string{"run", "--out", "$DIR/no/such"}, code: 2, names: "--out $DIR/no/such", accepted: "does not exist"},
		{name: "shrink-kind-unknown", args: []string{"shrink", "--kind", "slow"}, code: 2, names: `--kind: "slow"`, accepted: "(accepted: duplicate, lost, stuck, wrong-answer, unconfirmed, orphan-charge, nonlinearizable)"},
		{name: "shrink-max-runs-zero", args: []string{"shrink", "--max-runs", "0"}, code: 2, names: `--max-runs: "0"`, accepted: "not an integer in [1, 1000000]"},
		{name: "shrink-run-flag", args: []string{"shrink", "--servers", "0"}, code: 2, names: "idemsim shrink: --servers", accepted: "not an integer in [1, "},
		{name: "shrink-out-directory", args: []string{"shrink", "--out", "$DIR"}, code: 2, names: "--out $DIR: is a directory", accepted: "want a file name"},
		{name: "shrink-nothing-to-shrink", args: []string{"shrink", "--clients", "2", "--ops", "2"}, code: 1, names: "idemsim shrink: the run shows no violation to shrink", accepted: "(of kind any): idemsim run --clients 2 --ops 2"},
		{name: "report-results-missing", args: []string{"report", "--results", "$DIR/none"}, code: 2, names: "idemsim report: results directory $DIR/none", accepted: "no such file or directory"},
		{name: "report-argument", args: []string{"report", "results"}, code: 2, names: `idemsim report: unexpected argument "results"`, accepted: "flags start with --"},
		{name: "report-results-empty", args: []string{"report", "--results", ""}, code: 2, names: "--results", accepted: "empty directory name"},
		{name: "scorecard-results-missing", args: []string{"scorecard", "--results", "$DIR/none"}, code: 2, names: "idemsim scorecard: results directory $DIR/none", accepted: "no such file or directory"},
		{name: "scorecard-argument", args: []string{"scorecard", "results"}, code: 2, names: `idemsim scorecard: unexpected argument "results"`, accepted: "flags start with --"},
		{name: "scorecard-results-no-experiments", args: []string{"scorecard", "--results", "$DIR"}, code: 2, names: "idemsim scorecard: $DIR holds no NAME/cells.json", accepted: "make experiments writes them"},
		{name: "replay-directory", args: []string{"run", "--replay", "$DIR"}, code: 2, names: "--replay $DIR: is a directory", accepted: "not a file"},
		{name: "replay-binary", args: []string{"run", "--replay", "$DIR/f.faults"}, file: "drop\x00request",
			code: 2, names: "--replay $DIR/f.faults: line 1: a NUL byte", accepted: "a text file of lines"},
		{name: "experiment-missing-name", args: []string{"experiment"}, code: 2, names: "missing experiment name", accepted: "(accepted: baseline, network-loss, "},
		{name: "experiment-unknown", args: []string{"experiment", "bogus"}, code: 2, names: `unknown experiment "bogus"`, accepted: "(accepted: baseline, network-loss, "},
		{name: "experiment-two-names", args: []string{"experiment", "swarm", "gateway"}, code: 2, names: `one experiment at a time, got "swarm gateway"`, accepted: "(accepted: baseline, network-loss, "},
		{name: "experiment-seeds-zero", args: []string{"experiment", "swarm", "--seeds", "0"}, code: 2, names: `--seeds: "0"`, accepted: "not an integer in [1, 1000000000]"},
		{name: "experiment-workers-zero", args: []string{"experiment", "swarm", "--workers", "0"}, code: 2, names: `--workers: "0"`, accepted: "not an integer in [1, 1024]"},
		{name: "experiment-shard-out-of-range", args: []string{"experiment", "swarm", "--shard", "2/2"}, code: 2, names: `--shard: "2/2"`, accepted: "(accepted: 0/2, 1/2, ...)"},
		{name: "experiment-shard-not-a-fraction", args: []string{"experiment", "swarm", "--shard", "half"}, code: 2, names: `--shard: "half"`, accepted: "a shard I/N with 0 <= I < N"},
		{name: "experiment-resume-nothing", args: []string{"experiment", "swarm", "--resume", "--out", "$DIR"}, code: 2, names: "--resume: no interrupted run of swarm", accepted: "does not exist"},
		{name: "experiment-out-is-a-file", args: []string{"experiment", "swarm", "--out", "$DIR/f.faults"}, file: "x\n", code: 2, names: "--out $DIR/f.faults: is a file", accepted: "want a directory"},
		{name: "experiment-list-with-name", args: []string{"experiment", "--list", "swarm"}, code: 2, names: `--list takes no experiment, got "swarm"`, accepted: "no experiment"},
		{name: "experiment-unknown-flag", args: []string{"experiment", "swarm", "--bogus"}, code: 2, names: "unknown flag --bogus", accepted: "(see idemsim experiment --help)"},
		{name: "merge-no-file", args: []string{"merge"}, code: 2, names: "idemsim merge: no shard file", accepted: "(accepted: the NAME/shard-I-of-N.json files"},
		{name: "merge-missing-file", args: []string{"merge", "$DIR/missing.json"}, code: 2, names: "idemsim merge: open $DIR/missing.json", accepted: "no such file or directory"},
		{name: "merge-not-a-shard-file", args: []string{"merge", "$DIR/f.faults"}, file: "crash s1@1s\n", code: 2, names: "idemsim merge: $DIR/f.faults", accepted: "not a shard or state file of idemsim experiment"},
		{name: "merge-missing-shard", args: []string{"merge", "$DIR/f.faults"}, file: emptyShard("1/2"), code: 2, names: "missing shard 0/2", accepted: "(accepted: shard files of one experiment and seeds, each shard once)"},
		{name: "merge-out-parent-missing", args: []string{"merge", "--out", "$DIR/no/such", "$DIR/f.faults"}, file: "x", code: 2, names: "--out $DIR/no/such", accepted: "does not exist"},
		{name: "replay-crash-of-a-client", args: []string{"run", "--clients", "4", "--ops", "5", "--replay", "$DIR/f.faults"}, file: "crash c2@1s\n",
			code: 2, names: "--replay", accepted: `crash targets a server (sN or any) or kv (the store restarts with its data lost), not "c2"`},
	}
	checkUsageCases(t, cases)
}

// checkUsageCases runs each case as a subtest: in a fresh directory ($DIR
// in its arguments), with its file written there as f.faults, the command
// must exit with the case's status, print nothing on stdout and exactly one
// line on stderr that names what is wrong and says what is accepted.
func checkUsageCases(t *testing.T, cases []usageCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "$DIR", dir)
			}
			if c.file != "" {
				require.NoError(t, os.WriteFile(filepath.Join(dir, "f.faults"), []byte(c.file), 0o644), rerun(t, args))
			}
			r := runCLI(t, args...)
			assert.Equal(t, c.code, r.code, "exit status; stderr: %q\n%s", r.stderr, rerun(t, args))
			assert.Empty(t, r.stdout, "stdout\n%s", rerun(t, args))
			require.True(t, strings.HasSuffix(r.stderr, "\n") && strings.Count(r.stderr, "\n") == 1,
				"stderr must be exactly one line, got %q\n%s", r.stderr, rerun(t, args))
			assert.Contains(t, r.stderr, strings.ReplaceAll(c.names, "$DIR", dir), "stderr must name what is wrong\n%s", rerun(t, args))
			assert.Contains(t, r.stderr, c.accepted, "stderr must say what is accepted\n%s", rerun(t, args))
		})
	}
}

// Goal: `idemsim list` shows every registered strategy with its contract,
// its rule and the thread's position it implements.
// Method: run list and look for each strategy's three lines, as the
// registry defines them; naive and local-cache must be among them.
func TestList(t *testing.T) {
	args := []string{"list"}
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
	assert.Empty(t, r.stderr, rerun(t, args))
	assert.Subset(t, models.Names(), []string{"naive", "local-cache"}, rerun(t, args))
	lines := strings.Split(r.stdout, "\n")
	for _, s := range models.All() {
		t.Run(s.Name, func(t *testing.T) {
			want := []string{
				s.Name,
				"  rule:     " + s.Rule,
				"  thread:   " + s.Position,
				"  contract: " + string(s.Contract),
			}
			if len(s.Switches) > 0 {
				want = append(want, "  switches: "+s.Defaults.Format(s.Switches))
			}
			at := slices.Index(lines, s.Name)
			require.GreaterOrEqual(t, at, 0, "no line %q in:\n%s\n%s", s.Name, r.stdout, rerun(t, args))
			require.LessOrEqual(t, at+len(want), len(lines), rerun(t, args))
			assert.Equal(t, want, lines[at:at+len(want)], rerun(t, args))
			assert.NotEmpty(t, s.Position, "strategy %s has no thread position\n%s", s.Name, rerun(t, args))
		})
	}
}

// Goal: help is reachable every usual way, succeeds, and `run --help` lists
// every flag of the run command.
// Method: table of invocations, each must exit 0 with usage on stdout and
// nothing on stderr; the run help is checked against the flag table itself.
func TestHelp(t *testing.T) {
	var flags []string
	for _, s := range runFlags().specs {
		flags = append(flags, "  --"+s.name)
	}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{name: "help", args: []string{"help"}, want: []string{"usage:", "idemsim run [flags]", "idemsim list", "idemsim run --help"}},
		{name: "--help", args: []string{"--help"}, want: []string{"usage:", "idemsim run [flags]"}},
		{name: "-h", args: []string{"-h"}, want: []string{"usage:", "idemsim run [flags]"}},
		{name: "run--help", args: []string{"run", "--help"}, want: append([]string{"usage: idemsim run [flags]"}, flags...)},
		{name: "help-run", args: []string{"help", "run"}, want: append([]string{"usage: idemsim run [flags]"}, flags...)},
		{name: "run-flags--help", args: []string{"run", "--seed", "3", "--help"}, want: []string{"usage: idemsim run [flags]"}},
		{name: "help-report", args: []string{"help", "report"}, want: []string{"usage: idemsim report [flags]", "  --results DIR"}},
		{name: "help-scorecard", args: []string{"help", "scorecard"}, want: []string{"usage: idemsim scorecard [flags]", "  --results DIR"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.args...)
			assert.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, c.args))
			assert.Empty(t, r.stderr, rerun(t, c.args))
			for _, w := range c.want {
				assert.Contains(t, r.stdout, w, rerun(t, c.args))
			}
		})
	}
}

// goldenRuns are the invocations whose whole output is pinned in
// testdata/<name>.golden.
var goldenRuns = []struct {
	name string
	args []string
	path string // where the golden lives, if not testdata/NAME.golden
}{
	{name: "naive-seed7", args: []string{"run", "--strategy", "naive", "--seed", "7", "--clients", "4", "--ops", "5", "--drop-response", "0.3"}},
	{name: "naive-seed7-trace", args: []string{"run", "--strategy", "naive", "--seed", "7", "--clients", "4", "--ops", "5", "--drop-response", "0.3", "--trace"}},
	// What every claim's scenarios showed: generated, never typed.
	// Committed results, regenerated by make results.
	{name: "claims", args: []string{"claims"}, path: "../results/claims.txt"},
	{name: "list", args: []string{"list"}},
}

// Goal: the output of a small run, summary and trace, changes only on
// purpose: any change to the simulator, the faults or the printing shows up
// as a reviewed diff of testdata/*.golden.
// Method: run each golden invocation and compare stdout byte for byte with
// its file; -update rewrites the files instead.
func TestGolden(t *testing.T) {
	for _, g := range goldenRuns {
		t.Run(g.name, func(t *testing.T) {
			r := runCLI(t, g.args...)
			require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, g.args))
			require.Empty(t, r.stderr, rerun(t, g.args))
			path := filepath.Join("testdata", g.name+".golden")
			if g.path != "" {
				path = g.path
			}
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755), rerun(t, g.args))
				require.NoError(t, os.WriteFile(path, []byte(r.stdout), 0o644), rerun(t, g.args))
				return
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "missing golden file; create it with: go test ./cli -run TestGolden -update\n%s", rerun(t, g.args))
			assert.Equal(t, string(want), r.stdout,
				"stdout of %q differs from cli/%s.\n"+
					"If the change is intended, regenerate with: go test ./cli -run TestGolden -update (or make results)\n"+
					"and review it with: git diff cli/testdata/ results/\n%s",
				cmdline(g.args), path, rerun(t, g.args))
		})
	}
}

// Goal: the CLI is deterministic: the same command prints the same bytes,
// and the seed matters.
// Method: run each golden invocation twice and compare; run the first with
// another seed and check that the run line (its trace hash) differs.
func TestSameCommandSameOutput(t *testing.T) {
	for _, g := range goldenRuns {
		t.Run(g.name, func(t *testing.T) {
			first := runCLI(t, g.args...)
			second := runCLI(t, g.args...)
			require.Equal(t, 0, first.code, "stderr: %q\n%s", first.stderr, rerun(t, g.args))
			assert.Equal(t, first, second, "two runs of the same command differ\n%s", rerun(t, g.args))
		})
	}
	t.Run("other-seed", func(t *testing.T) {
		args := append([]string{}, goldenRuns[0].args...)
		args[4] = "8"
		require.Equal(t, "--seed", args[3], "goldenRuns[0] must give --seed 4th\n%s", rerun(t, args))
		a, b := runCLI(t, goldenRuns[0].args...), runCLI(t, args...)
		require.Equal(t, 0, b.code, "stderr: %q\n%s", b.stderr, rerun(t, args))
		assert.NotEqual(t, lineWith(a.stdout, "run "), lineWith(b.stdout, "run "), "seeds 7 and 8 gave the same run\n%s", rerun(t, args))
	})
}

var violationLine = regexp.MustCompile(`^  (\S+) (o\d+\.\d+): took effect (\d+)x; `)

// Goal: the "reproduce:" command printed under a violation reproduces it:
// run as printed, it shows the same run (same trace hash) and the violating
// operation's timeline with one LEDGER line per effect the audit counted,
// and no other operation's lines; and a --trace run prints the same
// reproduce commands as a plain run.
// Method: run the golden invocation, parse each listed violation and the
// command under it, run that command, and count its LEDGER lines.
func TestReproduceCommand(t *testing.T) {
	args := goldenRuns[0].args
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
	lines := strings.Split(r.stdout, "\n")
	var found int
	for i, l := range lines {
		m := violationLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		found++
		kind, op, effects := m[1], m[2], m[3]
		t.Run(kind+"-"+op, func(t *testing.T) {
			require.Less(t, i+1, len(lines), rerun(t, args))
			command, ok := strings.CutPrefix(lines[i+1], "    reproduce: ")
			require.True(t, ok, "no reproduce line under %q\n%s", l, rerun(t, args))
			require.True(t, strings.HasPrefix(command, "idemsim run "), "reproduce command %q\n%s", command, rerun(t, args))
			require.NotContains(t, command, "'", "the command needs a shell to split; this test splits on spaces\n%s", rerun(t, args))
			repro := strings.Fields(command)[1:]
			assert.Equal(t, "--trace-op "+op, strings.Join(repro[len(repro)-2:], " "), rerun(t, args))

			out := runCLI(t, repro...)
			require.Equal(t, 0, out.code, "stderr: %q\n%s", out.stderr, rerun(t, repro))
			assert.Equal(t, lineWith(r.stdout, "run "), lineWith(out.stdout, "run "), "the reproduce command ran another run\n%s", rerun(t, repro))
			var ledger, others []string
			for _, tl := range strings.Split(out.stdout, "\n") {
				if !strings.Contains(tl, " LEDGER ") {
					continue
				}
				if strings.HasSuffix(tl, " for "+op) {
					ledger = append(ledger, tl)
				} else {
					others = append(others, tl)
				}
			}
			assert.Equal(t, effects, strconv.Itoa(len(ledger)), "LEDGER lines for %s in the output of %q:\n%s\n%s", op, command, out.stdout, rerun(t, repro))
			assert.Empty(t, others, "LEDGER lines of other operations\n%s", rerun(t, repro))
		})
	}
	require.Greater(t, found, 0, "the golden run lists no violation to reproduce:\n%s\n%s", r.stdout, rerun(t, args))

	t.Run("same-with-trace", func(t *testing.T) {
		targs := goldenRuns[1].args
		tr := runCLI(t, targs...)
		require.Equal(t, 0, tr.code, rerun(t, targs))
		reproduce := func(out string) []string {
			var cmds []string
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, "    reproduce: ") {
					cmds = append(cmds, l)
				}
			}
			return cmds
		}
		assert.Equal(t, reproduce(r.stdout), reproduce(tr.stdout), "--trace must not change the reproduce commands\n%s", rerun(t, targs))
	})
}

// Goal: a run's fault list, written with --faults-out, replays the run
// exactly: with the same seed, rates 0 and --replay, the run has the same
// trace hash, the same faults and the same verdict, and records the same
// fault list again.
// Method: run with --drop-response 0.3 --duplicate 0.1 --faults-out F in a
// temporary directory, check F reads back, rerun with --replay F and
// --faults-out G, compare the summary lines and F with G.
func TestFaultsOutReplay(t *testing.T) {
	dir := t.TempDir()
	f, g := filepath.Join(dir, "F.faults"), filepath.Join(dir, "G.faults")
	base := []string{"run", "--strategy", "naive", "--seed", "7", "--clients", "4", "--ops", "5"}
	record := append(append([]string{}, base...), "--drop-response", "0.3", "--duplicate", "0.1", "--faults-out", f)
	replay := append(append([]string{}, base...), "--drop-response", "0", "--duplicate", "0", "--replay", f, "--faults-out", g)

	first := runCLI(t, record...)
	require.Equal(t, 0, first.code, "stderr: %q\n%s", first.stderr, rerun(t, record))
	written, err := os.ReadFile(f)
	require.NoError(t, err, rerun(t, record))
	list, err := faults.ReadFaults(bytes.NewReader(written))
	require.NoError(t, err, "the written fault list does not read back:\n%s\n%s", written, rerun(t, record))
	require.NotEmpty(t, list, "no fault fired, the test proves nothing\n%s", rerun(t, record))
	assert.Contains(t, lineWith(first.stdout, "faults "), fmt.Sprintf("%d fired", len(list)), rerun(t, record))

	second := runCLI(t, replay...)
	require.Equal(t, 0, second.code, "stderr: %q\n%s", second.stderr, rerun(t, replay))
	for _, prefix := range []string{"run ", "faults ", "ops ", "ledger ", "verdict "} {
		assert.Equal(t, lineWith(first.stdout, prefix), lineWith(second.stdout, prefix),
			"the %q line differs between the recorded run and its replay\n%s", strings.TrimSpace(prefix), rerun(t, replay))
	}
	assert.NotEmpty(t, lineWith(second.stdout, "run "), rerun(t, replay))
	again, err := os.ReadFile(g)
	require.NoError(t, err, rerun(t, replay))
	relist, err := faults.ReadFaults(bytes.NewReader(again))
	require.NoError(t, err, rerun(t, replay))
	assert.Equal(t, list, relist, "the replay recorded another fault list\n%s", rerun(t, replay))
	assert.Contains(t, string(written), "# command: "+cmdline(record[:len(record)-2])+"\n", "the list records the command that made it\n%s", rerun(t, record))
	assert.Contains(t, second.stderr, "warning: the fault list was recorded by", "replaying with other flags warns\n%s", rerun(t, replay))
	assert.Empty(t, first.stderr, rerun(t, record))
}

// Goal: a replayed fault that never fires — a message that never existed,
// here the 99th attempt of an operation that takes one — is not silently
// dropped: the run warns on stderr and still succeeds. A fault list that
// is not a file of lines (/dev/zero) is refused at once.
func TestReplayWarnsAboutUnfiredFaults(t *testing.T) {
	args := []string{"run", "--clients", "1", "--ops", "1", "--fault", "drop-request c1/o1.1/a99"}
	r := runCLI(t, args...)
	require.Equal(t, 0, r.code, "stderr %q\n%s", r.stderr, rerun(t, args))
	assert.Contains(t, r.stderr, `warning: replayed fault "drop-request c1/o1.1/a99 at=0s" never fired`, rerun(t, args))
	if _, err := os.Stat("/dev/zero"); err == nil {
		zero := []string{"run", "--replay", "/dev/zero"}
		z := runCLI(t, zero...)
		assert.Equal(t, 2, z.code, "stderr %q\n%s", z.stderr, rerun(t, zero))
		assert.Contains(t, z.stderr, "--replay /dev/zero", rerun(t, zero))
	}
}

// Goal: the README's headline is the committed isolation experiment's
// two-client rows, never typed by hand, and says what it shows.
// Method: "generated": the section between its markers against
// report.HeadlineOf(results/isolation/cells.json) (-update rewrites it).
// "matches-csv": apart from that code, read the table back from the README
// and check each cell against the workers_per_op = 2 row of
// results/isolation/cells.csv: a kind it names has that count above zero
// and that rate (to the two significant digits printed), a kind it does
// not name has none, and every two-client row is in the table.
func TestREADMEHeadline(t *testing.T) {
	const path = "../README.md"
	const begin, end = "<!-- headline:begin -->\n", "<!-- headline:end -->\n"
	rerun := "reproduce: go test ./cli -run TestREADMEHeadline (add -update to rewrite the README's table)"
	readme, err := os.ReadFile(path)
	require.NoError(t, err, rerun)
	text := string(readme)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	require.True(t, i >= 0 && j > i, "README.md has no %q ... %q section; %s", begin, end, rerun)
	section := text[i+len(begin) : j]
	t.Run("generated", func(t *testing.T) {
		x, err := report.ReadExperiment("../results/isolation/cells.json")
		require.NoError(t, err, rerun)
		h, err := report.HeadlineOf(x)
		require.NoError(t, err, rerun)
		if *update {
			require.NoError(t, writeFileAtomic(path, []byte(text[:i+len(begin)]+h.Document()+text[j:])), rerun)
			return
		}
		assert.Equal(t, h.Document(), section, "the README's headline is stale (make experiments changed the results?); %s", rerun)
		assert.Contains(t, section, x.Description, "the caption states the experiment's fault mix; %s", rerun)
	})
	t.Run("matches-csv", func(t *testing.T) {
		if *update {
			t.Skip("the README is being rewritten")
		}
		f, err := os.Open("../results/isolation/cells.csv")
		require.NoError(t, err, rerun)
		defer f.Close()
		records, err := csv.NewReader(f).ReadAll()
		require.NoError(t, err, rerun)
		col := map[string]int{}
		for k, name := range records[0] {
			col[name] = k
		}
		require.Contains(t, col, "workers_per_op", rerun)
		kinds := map[string]string{"dup": "duplicate", "lost": "lost", "stuck": "stuck", "wrong": "wrong_answer", "unconf": "unconfirmed", "orphan": "orphan_charge"}
		twoClients := map[[2]string][]string{}
		for _, r := range records[1:] {
			if r[col["workers_per_op"]] == "2" {
				twoClients[[2]string{r[col["strategy"]], r[col["isolation"]]}] = r
			}
		}
		require.NotEmpty(t, twoClients, rerun)
		assert.Contains(t, section, "`workers_per_op` = 2", "the caption names the setting; %s", rerun)
		var header []string
		seen := 0
		for _, line := range strings.Split(section, "\n") {
			if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
				continue
			}
			cells := strings.Split(strings.Trim(line, "| "), " | ")
			if header == nil {
				header = cells
				continue
			}
			strategy := strings.Trim(cells[0], "`")
			for k, cell := range cells[1:] {
				level := header[k+1]
				row, ok := twoClients[[2]string{strategy, level}]
				cell = strings.Trim(cell, "*")
				if cell == "–" {
					assert.False(t, ok, "%s at %s is in the CSV but not in the README; %s", strategy, level, rerun)
					continue
				}
				require.True(t, ok, "%s at %s: no two-client row in cells.csv; %s", strategy, level, rerun)
				seen++
				named := map[string]string{}
				if cell != "0" {
					for _, part := range strings.Split(cell, ", ") {
						abbr, value, _ := strings.Cut(part, " ")
						require.Contains(t, kinds, abbr, "%s at %s: %q; %s", strategy, level, cell, rerun)
						named[kinds[abbr]] = value
					}
				}
				for _, kind := range kinds {
					count := row[col[kind+"_count"]]
					value, ok := named[kind]
					if !ok {
						assert.Equal(t, "0", count, "%s at %s: %s not in the README's %q; %s", strategy, level, kind, cell, rerun)
						continue
					}
					assert.NotEqual(t, "0", count, "%s at %s: %s; %s", strategy, level, kind, rerun)
					got, err := strconv.ParseFloat(value, 64)
					require.NoError(t, err, rerun)
					want, err := strconv.ParseFloat(row[col[kind+"_rate"]], 64)
					require.NoError(t, err, rerun)
					assert.InEpsilon(t, want, got, 0.05, "%s at %s: %s %s, the CSV's rate %v; %s", strategy, level, kind, value, want, rerun)
				}
			}
		}
		assert.Equal(t, len(twoClients), seen, "every two-client row of cells.csv is in the README; %s", rerun)
	})
}
