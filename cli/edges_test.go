package cli

import (
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// measured is the full edge-case table, measured once for the tests that
// compare it with the committed files (it takes about a minute of CPU).
var measured = sync.OnceValues(func() (*edgeResults, error) {
	return measureEdges(edgeSchedules, runtime.GOMAXPROCS(0))
})

func measuredEdges(t *testing.T) *edgeResults {
	t.Helper()
	if testing.Short() {
		t.Skip("the full edge-case table takes about a minute of CPU; run without -short")
	}
	res, err := measured()
	require.NoError(t, err, rerun(t, []string{"table"}))
	return res
}

// edgeDoc is the page that shows the edge-case table; its section between
// these markers is the table and its legend.
const (
	edgeDoc    = "../docs/strategies.md"
	tableBegin = "<!-- edge-table:begin -->\n"
	tableEnd   = "<!-- edge-table:end -->\n"
)

// docTable is edgeDoc's text and where its table's section starts and
// ends.
func docTable(t *testing.T, rerun string) (text string, i, j int) {
	doc, err := os.ReadFile(edgeDoc)
	require.NoError(t, err, rerun)
	text = string(doc)
	i, j = strings.Index(text, tableBegin), strings.Index(text, tableEnd)
	require.True(t, i >= 0 && j > i, "%s has no %q ... %q section; %s", edgeDoc, tableBegin, tableEnd, rerun)
	return text, i + len(tableBegin), j
}

// Goal: the table of strategies against edge cases in docs/strategies.md
// is what `idemsim table` measures today, never typed by hand.
// Method: measure it and compare with the page's section between its
// markers; -update rewrites the section.
func TestDocsEdgeTable(t *testing.T) {
	rerun := rerun(t, nil) + " (add -update to rewrite the table in docs/strategies.md)"
	res := measuredEdges(t)
	text, i, j := docTable(t, rerun)
	table := res.docSection()
	if *update {
		require.NoError(t, writeFileAtomic(edgeDoc, []byte(text[:i]+table+text[j:])), rerun)
		return
	}
	assert.Equal(t, table, text[i:j], "the edge-case table in docs/strategies.md is stale; %s", rerun)
}

// Goal: results/edge-cases.md is what `idemsim table` prints today (make
// results writes it). Method: measure the table and compare its markdown
// with the file; -update rewrites the file.
func TestEdgeCasesFile(t *testing.T) {
	const path = "../results/edge-cases.md"
	rerun := rerun(t, []string{"table"}) + " (add -update, or run make results, to rewrite " + strings.TrimPrefix(path, "../") + ")"
	res := measuredEdges(t)
	if *update {
		require.NoError(t, writeFileAtomic(path, []byte(res.markdown())), rerun)
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, rerun)
	assert.Equal(t, string(want), res.markdown(), "%s is stale; %s", path, rerun)
}

var legendLine = regexp.MustCompile("^- \\*\\*([A-Z]), [^*]+\\*\\*: .*: `(idemsim run [^`]+)`$")

// Goal: every case's command in the legend of docs/strategies.md runs as
// pasted — the case's flags merged into the edge world's, not appended to
// them (which the parser refuses: a flag given twice) — and still runs
// with another strategy and seed added, as the legend says to do.
// Method: take each legend line's command from the page, split it as a
// shell would, and run it through the command line twice: as it is, and
// with --strategy txn-check-insert --seed 7 after it.
func TestEdgeLegendCommandsRun(t *testing.T) {
	text, i, j := docTable(t, rerun(t, nil))
	var found []string
	for _, line := range strings.Split(text[i:j], "\n") {
		m := legendLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		found = append(found, m[1])
		t.Run(m[1], func(t *testing.T) {
			args := claims.SplitArgs(strings.TrimPrefix(m[2], "idemsim "))
			for _, extra := range [][]string{nil, {"--strategy", "txn-check-insert", "--seed", "7"}} {
				a := append(slices.Clone(args), extra...)
				r := runCLI(t, a...)
				assert.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, a))
				assert.Empty(t, r.stderr, rerun(t, a))
				assert.Contains(t, r.stdout, "verdict ", rerun(t, a))
			}
		})
	}
	var want []string
	for i := range claims.EdgeCases() {
		want = append(want, column(i))
	}
	assert.Equal(t, want, found, "the legend has one command per case; %s", rerun(t, nil))
}

var failureLine = regexp.MustCompile("^- `([^`]+)` in ([A-Z]) \\([^)]*\\): (\\S+) .*: `(idemsim run [^`]+)`$")

// Goal: the schedule results/edge-cases.md names for each failing cell
// replays that cell's worst outcome when run as printed — the seed and
// the drawn moments are the whole schedule.
// Method: parse every failing cell's line (its worst outcome's label
// leads its summary) and run its command; the verdict line must show that
// kind, which it prints in capitals only when the count is above zero.
// Some of the lines must be schedules of timed faults, or the test would
// prove nothing about the moments.
func TestEdgeFailuresReplay(t *testing.T) {
	text, err := os.ReadFile("../results/edge-cases.md")
	require.NoError(t, err, rerun(t, nil))
	kindOf := map[string]check.Kind{}
	for _, k := range check.Kinds {
		kindOf[claims.Label(k)] = k
	}
	lines, timed := 0, 0
	for _, line := range strings.Split(string(text), "\n") {
		m := failureLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		lines++
		if strings.Contains(m[4], "--pause ") || strings.Contains(m[4], "--crash ") || strings.Contains(m[4], "--partition ") {
			timed++
		}
		t.Run(m[1]+"/"+m[2], func(t *testing.T) {
			args := claims.SplitArgs(strings.TrimPrefix(m[4], "idemsim "))
			k, ok := kindOf[m[3]]
			require.True(t, ok, "label %q names no kind of check.Kinds\n%s", m[3], rerun(t, args))
			r := runCLI(t, append(args, "--violations", "0")...)
			require.Equal(t, 0, r.code, "stderr: %q\n%s", r.stderr, rerun(t, args))
			assert.Contains(t, lineWith(r.stdout, "verdict "), strings.ToUpper(string(k))+" ", "the schedule does not show %s\n%s", k, rerun(t, args))
		})
	}
	require.NotZero(t, lines, "results/edge-cases.md lists no failing cell; %s", rerun(t, nil))
	assert.NotZero(t, timed, "no failing schedule has a timed fault; %s", rerun(t, nil))
}

// Goal: a case's flags are merged into the edge world's, the case's
// winning where both set a flag, so that every schedule's command line
// parses (appending them fails: a flag given twice). Method: for every
// case, the legend's command line and a schedule's hold each
// non-repeatable flag once, hold the case's value for it, and configure.
func TestEdgeCommandsMergeTheFlags(t *testing.T) {
	for i, c := range claims.EdgeCases() {
		t.Run(column(i), func(t *testing.T) {
			for _, args := range [][]string{claims.SplitArgs(strings.TrimPrefix(caseCommand(c), "idemsim run ")), scheduleArgs("naive", c.Example(), 3)} {
				count := map[string]int{}
				for k := 0; k < len(args); k += flagArity(edgeFlags(), args, k) {
					if s := edgeFlags().lookup(flagName(args[k])); s != nil && !s.repeats {
						count[flagName(args[k])]++
					}
				}
				for k := 0; k < len(c.Args); k += flagArity(edgeFlags(), c.Args, k) {
					name := flagName(c.Args[k])
					if s := edgeFlags().lookup(name); s == nil || s.repeats {
						continue
					}
					assert.Equal(t, 1, count[name], "--%s once in %q; %s", name, args, rerun(t, nil))
					v := slices.Index(args, "--"+name)
					require.GreaterOrEqual(t, v, 0, rerun(t, nil))
					assert.Equal(t, c.Args[k+1], args[v+1], "the case's --%s wins; %s", name, rerun(t, nil))
				}
				_, err := configure(args)
				assert.NoError(t, err, rerun(t, append([]string{"run"}, args...)))
			}
		})
	}
}

// Goal: a cell does not depend on how many workers measure it (the rows
// are the same bytes on any number of cores). Method: measure a few cells,
// timed and not, on 1 and 3 workers and compare what they showed and the
// failing schedule they name.
func TestEdgeCellsDoNotDependOnWorkers(t *testing.T) {
	cases := claims.EdgeCases()
	for _, tc := range []struct {
		strategy string
		column   int
	}{{"txn-check-insert", 3}, {"redis-lock", 8}, {"check-then-insert", 5}, {"unique-409", 6}} {
		c := cases[tc.column]
		t.Run(tc.strategy+"/"+column(tc.column), func(t *testing.T) {
			one, err := measureCell(tc.strategy, c, 30, 1)
			require.NoError(t, err, rerun(t, nil))
			three, err := measureCell(tc.strategy, c, 30, 3)
			require.NoError(t, err, rerun(t, nil))
			assert.Equal(t, one, three, rerun(t, nil))
		})
	}
}

// Goal: a drawn moment lands where it was aimed: the run with the timed
// fault is the run without it up to that moment, the fault strikes then,
// and over many seeds every step of the span is drawn — in case D, the
// pause falls between txn-check-insert's key check and its insert in
// some schedules (the duplicate a fixed moment missed).
// Method: for seeds 1..100 of txn-check-insert in D and redis-lock in I,
// run the pilot with its trace, draw the moments, run the schedule with
// its trace, and compare the two timelines before the moment; count the
// steps drawn among the seeds whose span has the most common number of
// steps.
func TestEdgeMomentsLandWhereDrawn(t *testing.T) {
	cases := claims.EdgeCases()
	for _, tc := range []struct {
		strategy string
		column   int
		fault    world.EventKind
	}{{"txn-check-insert", 3, world.EventPause}, {"redis-lock", 8, world.EventCrash}} {
		c := cases[tc.column]
		t.Run(tc.strategy+"/"+column(tc.column), func(t *testing.T) {
			drawn := map[int]map[int]bool{} // number of steps -> gaps drawn
			spans := map[int]int{}          // number of steps -> seeds
			afterCheck := false
			for seed := uint64(1); seed <= 100; seed++ {
				pilotArgs := scheduleArgs(tc.strategy, c.Args, seed)
				pilot := runKept(t, pilotArgs)
				moments := c.Draw(seed, pilot)
				steps := c.Timed[0].Span.Steps(pilot)
				at := moments[0]
				require.True(t, len(steps) >= 2 && at >= steps[0] && at < steps[len(steps)-1],
					"seed %d: moment %v outside the span %v\n%s", seed, at, steps, rerun(t, pilotArgs))
				gap, _ := slices.BinarySearch(steps, at+1)
				if drawn[len(steps)] == nil {
					drawn[len(steps)] = map[int]bool{}
				}
				drawn[len(steps)][gap-1] = true
				spans[len(steps)]++

				args := scheduleArgs(tc.strategy, c.Flags(moments), seed)
				res := runKept(t, args)
				before := func(r *world.Result) []string {
					var out []string
					for _, ev := range r.Events(nil) {
						if ev.At < at {
							out = append(out, ev.At.String()+" "+ev.Text)
						}
					}
					return out
				}
				require.Equal(t, before(pilot), before(res), "seed %d: the schedule differs from its pilot before the fault\n%s", seed, rerun(t, args))
				struck := slices.ContainsFunc(res.Events(nil), func(ev world.Event) bool { return ev.Kind == tc.fault && ev.At == at })
				assert.True(t, struck, "seed %d: no %v at %v\n%s", seed, tc.fault, at, rerun(t, args))
				if tc.strategy == "txn-check-insert" {
					// The step after the key check: the last event before
					// the moment is the select that found no key.
					var last string
					for _, ev := range pilot.Events(&edgeOpID) {
						if ev.At <= at {
							last = ev.Text
						}
					}
					afterCheck = afterCheck || strings.Contains(last, "select fingerprint")
				}
			}
			most := 0
			for n, seeds := range spans {
				if seeds > spans[most] || seeds == spans[most] && n > most {
					most = n
				}
			}
			assert.Len(t, drawn[most], most-1, "every step of a %d-step span drawn; %s", most, rerun(t, nil))
			if tc.strategy == "txn-check-insert" {
				assert.True(t, afterCheck, "no pause between the key check and the insert; %s", rerun(t, nil))
			}
		})
	}
}

// edgeOpID is the operation the edge cases are about.
var edgeOpID = api.OpID{Queue: 1, Index: 1}

// runKept runs a schedule's command line with its trace kept.
func runKept(t *testing.T, args []string) *world.Result {
	t.Helper()
	st, err := configure(args)
	require.NoError(t, err, rerun(t, append([]string{"run"}, args...)))
	st.cfg.KeepTrace = true
	res, err := world.Run(st.cfg)
	require.NoError(t, err, rerun(t, append([]string{"run"}, args...)))
	return res
}
