package cli

import (
	"fmt"

	"github.com/idemsim/idemsim/faults"
	"slices"
	"strconv"
	"strings"
)

// statementNotes explain, per scenario, why some statement got another
// answer live, or waited on one side only. Every scenario whose committed
// logs show such a difference has one (TestStatementsAreFresh).
var statementNotes = map[string]string{
	"early-409-first-finishes":              "In one live run the retry reached the database before the first attempt had claimed the key, so the two attempts' claims came out the other way round (ok 1 and ok 0 swapped between a1 and a2): the first attempt's service time against the client's retry timer.",
	"early-409-first-crashes":               noteStmtCrashWindow,
	"409-before-done-loses":                 noteStmtCrashWindow,
	"in-progress-409-with-lease":            noteStmtCrashWindow,
	"in-progress-409-without-lease":         noteStmtCrashWindow,
	"accepted-response-lost":                noteStmtOutboxPoll,
	"accepted-worker-crashes":               noteStmtOutboxPoll,
	"accepted-worker-crashes-not-forwarded": noteStmtOutboxPoll,
	"serializable-race-retried":             "Both sides cancel the second transaction with 40001 and its retry finds the first one's key; what differs is the statement that gets it, because the two commits and inserts interleave otherwise. In the simulation the second inserts its key before the first commits, and the clash surfaces at its COMMIT, as on PostgreSQL (sim/db/testdata/scripts/idem-check-then-insert.serializable.pg15). In live runs 2, 4 and 5 the first committed before the second's insert, and PostgreSQL cancels the insert itself, which is what the simulated database does in that order too (sim/db/testdata/scripts/idem-check-then-insert-after-commit.serializable.pg15). In run 1 the second began after the first had committed and found its key (ok 1). No SQLSTATE differs for the same statement in the same state.",
	"read-committed-race":                   "In one live run the second request looked the key up after the first had committed it (ok 1 instead of ok 0) and replayed instead of paying again: the two requests did not overlap in that run. table.md's 20 runs, made without the statement log, all overlapped; the lock watch's polling takes CPU time from the run, which may spread the requests apart.",
	"for-update-second-waits":               noteStmtRowLock,
	"two-servers-row-lock":                  noteStmtRowLock,
	"two-servers-local-lock":                "In two live runs one request had finished before the other looked the key up (ok 1 instead of ok 0), so it replayed without racing: the two requests' arrival, which live timing spreads more than the simulation's fixed delays (table.md's 20 runs, made without the statement log and its lock watch, all raced).",
	"delete-twice-two-clients":              "The second client's insert waits in the simulation for the first one's uncommitted row with the same id, and finds it committed live: live, the first insert commits within a fraction of a millisecond, shorter than the lock watch can see or before the second arrives, while the simulation's statement latency keeps the row uncommitted for longer. The other way round, in three live runs the second delete waited for the first delete's row lock, which in the simulation was already released. Same answers; only who was still holding the lock differs.",
}

// The notes shared by several scenarios.
const (
	noteStmtCrashWindow = "The retry's key claim finds the first request's claim in the simulation (ok 0) and claims the key itself live (ok 1). The scenario crashes the first request's server 6.5 ms in, which the simulation places between its claim and its work; live the crash nearly always lands before the claim, as this scenario's note in table.md says. Each side's answer is PostgreSQL's for the state it met; only the moment of the crash differs."
	noteStmtOutboxPoll  = "The outbox worker polls the jobs table on its own timer; in one live run a poll came just before the request had committed its job (ok 0 instead of ok 1), and the next poll found it. A poll's moment against the request's, which the simulation fixes and live timing does not."
	noteStmtRowLock     = "Which request takes the key's row lock first, and whether the other is still waiting for it, is timing: live, the first request's transaction holds the lock for a fraction of a millisecond, so the second's SELECT FOR UPDATE often finds it released, or waits for less than the lock watch sees (waited only simulated), and the claim and the lock can go to different requests (the insert's ok 1 and ok 0 swapped). Every SQLSTATE is the same."
)

// notePath is the reason for every difference of path.
const notePath = "A difference of path is not a disagreement on a statement: the actor ran on one side only, or made other calls, because something before it happened at another moment live (a retry's timer against a slow first answer, a worker's poll against the request it picks up). Its statements are compared no further."

// statementsTable is statements.md: drawn from statements.json alone.
func statementsTable(data stmtLogs) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# The strategies' statements, simulated and live

Generated by `+"`idemsim sim-vs-live --statements`"+` from [statements.json](statements.json) alone (`+"`--table-only`"+` redraws it).
Every claim scenario of kind run whose strategy keeps its state in the database ran once in the simulator and %d times live, each logging the statements the strategy's handlers and workers sent: the text, the answer (ok with the rows returned or changed, or the SQLSTATE) and whether it waited for a lock. A live log is matched with the simulated one call by call: the same actor (the handler of a request, or a worker, by its call reference) and the same call number. Claims %s race two requests on one key (*race*).

Columns: *matched* counts, over the live runs, the calls where both sides sent the same statement; *same code* those with the same SQLSTATE (or both ok), *same rows* those with the same row count too, *same blocking* those that waited for a lock on both sides or on neither; *waits* the matched statements that waited, simulated / live. Live, a lock wait is seen by polling pg_stat_activity while the statement runs, one poll after another, so a wait shorter than about half a millisecond can go unseen ([docs/live.md](../../docs/live.md#the-strategies-statements-simulated-and-live) says what it misses).

`, data.Runs, joinInts(raceClaims))
	b.WriteString("| scenario | claim | statements (sim) | live runs | matched | same code | same rows | same blocking | waits sim / live | differences of path |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	var skipped []stmtScenario
	for _, s := range data.Scenarios {
		if s.Skipped != "" {
			skipped = append(skipped, s)
			continue
		}
		c := compareStatements(s)
		paths := 0
		for _, d := range c.Diffs {
			if d.Path {
				paths++
			}
		}
		name := "`" + s.Name + "`"
		if slices.Contains(raceClaims, s.Claim) {
			name += " *race*"
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s | %s | %s | %d / %d | %d |\n", name, s.Claim, len(s.Sim), len(s.Live),
			c.Matched, share(c.SameCode, c.Matched), share(c.SameCount, c.Matched), share(c.SameWait, c.Matched), c.SimWaits, c.LiveWaits, paths)
	}
	if len(skipped) > 0 {
		b.WriteString("\nNot run live (the simulated log is in statements.json):\n\n")
		for _, s := range skipped {
			fmt.Fprintf(&b, "- `%s` (claim %d): %s\n", s.Name, s.Claim, s.Skipped)
		}
	}
	b.WriteString("\n## Differences\n\n")
	b.WriteString(notePath + "\n")
	for _, s := range data.Scenarios {
		c := compareStatements(s)
		if len(c.Diffs) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n### `%s`\n\n", s.Name)
		if note := statementNotes[s.Name]; note != "" {
			b.WriteString(note + "\n\n")
		}
		for _, g := range groupDiffs(c.Diffs) {
			kind := "answer"
			if g.Path {
				kind = "path"
			}
			if g.Call == 0 {
				fmt.Fprintf(&b, "- %s, %s `%s`: %s (live %s)\n", kind, actorKind(g.Actor), g.Actor, g.What, runsText(g.runs))
				continue
			}
			fmt.Fprintf(&b, "- %s, %s `%s/db%d` `%s`: %s (live %s)\n", kind, actorKind(g.Actor), g.Actor, g.Call, g.Text, g.What, runsText(g.runs))
		}
	}
	return b.String()
}

// diffGroup is one difference and the live runs that showed it.
type diffGroup struct {
	stmtDiff
	runs []int
}

// groupDiffs merges the differences the runs share, in their first
// run's order.
func groupDiffs(diffs []stmtDiff) []diffGroup {
	var out []diffGroup
	for _, d := range diffs {
		i := slices.IndexFunc(out, func(g diffGroup) bool {
			return g.Actor == d.Actor && g.Call == d.Call && g.Text == d.Text && g.What == d.What
		})
		if i < 0 {
			out = append(out, diffGroup{stmtDiff: d})
			i = len(out) - 1
		}
		out[i].runs = append(out[i].runs, d.Run)
	}
	return out
}

func actorKind(actor string) string {
	if ref, err := faults.ParseRef(actor); err == nil && ref.Worker != "" {
		return "worker"
	}
	return "handler"
}

func runsText(runs []int) string {
	if len(runs) == 1 {
		return "run " + strconv.Itoa(runs[0])
	}
	return "runs " + joinInts(runs)
}

func share(n, of int) string {
	if n == of {
		return strconv.Itoa(n)
	}
	return fmt.Sprintf("**%d**", n)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

// answerDiffs reports whether s's logs show a statement answered
// otherwise, or waiting on one side only: those need a note.
func answerDiffs(s stmtScenario) bool {
	for _, d := range compareStatements(s).Diffs {
		if !d.Path {
			return true
		}
	}
	return false
}
