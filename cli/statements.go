package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/live"
	"github.com/idemsim/idemsim/live/instance"
	"github.com/idemsim/idemsim/sim/world"
)

// sim-vs-live --statements: the strategies' own statements, logged in
// the simulator and live for the same claim scenario, matched call by
// call: do they get the same SQLSTATE, and do the same ones wait for a
// lock? The logs are results/sim-vs-live/statements.json; statements.md
// is drawn from it alone.

// statementRuns is how many live runs --statements makes per scenario
// unless --runs says otherwise: the statements are compared call by call,
// so a few runs show what varies.
const statementRuns = 5

// raceClaims are the claims whose scenarios race two requests on one key
// in the database: there the second request's statements block or fail
// on the first one's.
var raceClaims = []int{7, 8, 10, 17}

// stmtLogs is statements.json.
type stmtLogs struct {
	Runs      int            `json:"runs"`
	Scenarios []stmtScenario `json:"scenarios"`
}

// stmtScenario is one scenario's logs.
type stmtScenario struct {
	Name  string   `json:"name"`
	Claim int      `json:"claim"`
	Args  []string `json:"args"`
	// Skipped says why the scenario did not run live ("" when it did).
	Skipped string              `json:"skipped,omitempty"`
	Sim     []world.Statement   `json:"sim"`
	Live    [][]world.Statement `json:"live,omitempty"`
}

// usesDB reports whether a scenario's strategy keeps anything in the
// database: those are the scenarios whose statements are compared.
func usesDB(sc claims.Scenario) (bool, error) {
	st, err := configure(sc.Args)
	if err != nil {
		return false, err
	}
	return len(st.cfg.Strategy.Schema) > 0, nil
}

// statementScenarios are the claim scenarios --statements compares.
func statementScenarios() ([]claims.Scenario, error) {
	all, err := claims.All()
	if err != nil {
		return nil, err
	}
	var out []claims.Scenario
	for _, c := range all {
		for _, sc := range c.Scenarios {
			if sc.Script != "" {
				continue
			}
			ok, err := usesDB(sc)
			if err != nil {
				return nil, fmt.Errorf("scenario %s: %w", sc.Name, err)
			}
			if ok {
				out = append(out, sc)
			}
		}
	}
	return out, nil
}

// simStatements is the simulator's statement log of sc, with the world it
// ran.
func simStatements(sc claims.Scenario) (world.Config, *world.Result, error) {
	st, err := configure(sc.Args)
	if err != nil {
		return world.Config{}, nil, err
	}
	st.cfg.LogStatements = true
	res, err := world.Run(st.cfg)
	return st.cfg, res, err
}

// statementsScenario logs sc's statements simulated once and live runs
// times.
func statementsScenario(ctx context.Context, sc claims.Scenario, runs int, maxReal time.Duration, dsn string, redis *instance.Redis) (stmtScenario, error) {
	row := stmtScenario{Name: sc.Name, Claim: sc.Claim, Args: sc.Args}
	cfg, res, err := simStatements(sc)
	if err != nil {
		return row, err
	}
	row.Sim = res.Statements
	cfg, clientsDone, skipped, _ := liveTwin(cfg, res, maxReal)
	if skipped != "" {
		row.Skipped = skipped
		return row, nil
	}
	for i := 0; i < runs && ctx.Err() == nil; i++ {
		lr, err := live.Run(ctx, live.Config{World: cfg, PostgresDSN: dsn, Redis: redis, Limit: clientsDone*3 + 30*time.Second})
		if err != nil {
			return row, err
		}
		row.Live = append(row.Live, lr.Statements)
	}
	return row, nil
}

// statementsCommand is sim-vs-live --statements.
func statementsCommand(out string, runs int, only []string, tableOnly bool, maxReal time.Duration, stderr io.Writer) error {
	jsonPath, mdPath := filepath.Join(out, "statements.json"), filepath.Join(out, "statements.md")
	if tableOnly {
		data, err := readStmtLogs(jsonPath)
		if err != nil {
			return err
		}
		return writeFileAtomic(mdPath, []byte(statementsTable(data)))
	}
	if err := checkOutDir(out); err != nil {
		return usagef("idemsim sim-vs-live: --out %s: %v", out, err)
	}
	scs, err := statementScenarios()
	if err != nil {
		return err
	}
	kept := map[string]stmtScenario{}
	if len(only) > 0 {
		prev, err := readStmtLogs(jsonPath)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err == nil && prev.Runs != runs {
			return usagef("idemsim sim-vs-live: --statements --scenario with --runs %d, but %s has %d runs per scenario; give --runs %d or rerun everything", runs, jsonPath, prev.Runs, prev.Runs)
		}
		for _, row := range prev.Scenarios {
			kept[row.Name] = row
		}
		for _, name := range only {
			if indexScenario(scs, name) < 0 {
				return usagef("idemsim sim-vs-live: --statements --scenario %s: its strategy keeps nothing in the database, so it has no statements to compare", name)
			}
		}
	}
	return withLiveServices(func(ctx context.Context, dsn string, rd *instance.Redis) error {
		data := stmtLogs{Runs: runs}
		for _, sc := range scs {
			if len(only) > 0 && !slices.Contains(only, sc.Name) {
				if row, ok := kept[sc.Name]; ok {
					data.Scenarios = append(data.Scenarios, row)
				}
				continue
			}
			row, err := statementsScenario(ctx, sc, runs, maxReal, dsn, rd)
			if err != nil {
				return fmt.Errorf("idemsim sim-vs-live: scenario %s: %w", sc.Name, err)
			}
			if ctx.Err() != nil {
				return fmt.Errorf("idemsim sim-vs-live: interrupted; nothing written")
			}
			c := compareStatements(row)
			fmt.Fprintf(stderr, "%-40s %d statements simulated; live: %d matched, %d same code, %d same blocking %s\n",
				sc.Name, len(row.Sim), c.Matched, c.SameCode, c.SameWait, row.Skipped)
			data.Scenarios = append(data.Scenarios, row)
		}
		js, err := json.MarshalIndent(data, "", "  ")
		if err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		return writeFilesAtomic(atomicfile.File{Path: jsonPath, Data: append(js, '\n')},
			atomicfile.File{Path: mdPath, Data: []byte(statementsTable(data))})
	})
}

// maxStmtLogs bounds statements.json: a few hundred statements per
// scenario and run take far less.
const maxStmtLogs = 64 << 20

func readStmtLogs(path string) (stmtLogs, error) {
	return readSimVsLiveFile[stmtLogs](path, maxStmtLogs)
}

// stmtDiff is one difference between the simulated log and a live one.
type stmtDiff struct {
	Run   int // the live run, from 1
	Actor string
	Call  int32
	Text  string // the statement (the simulated one when they differ)
	What  string // what differs, in words
	// Path: the difference is one of path (an actor or a call only one
	// side made, or another statement at the same call) rather than of
	// the same statement's answer.
	Path bool
}

// stmtCompare is a scenario's logs compared.
type stmtCompare struct {
	// Matched counts, over the live runs, the calls both sides made with
	// the same statement; SameCode those of them with the same SQLSTATE
	// (or both ok), SameCount those with the same rows too, SameWait those
	// that both waited for a lock or both did not.
	Matched, SameCode, SameCount, SameWait int
	// SimWaits and LiveWaits count the matched statements that waited.
	SimWaits, LiveWaits int
	Diffs               []stmtDiff
}

// stmtKey names a call.
type stmtKey struct {
	actor string
	call  int32
}

// byCall indexes a log by call, in order.
func byCall(log []world.Statement) (map[stmtKey]world.Statement, []stmtKey) {
	m := make(map[stmtKey]world.Statement, len(log))
	keys := make([]stmtKey, 0, len(log))
	for _, s := range log {
		k := stmtKey{s.Actor, s.Call}
		if _, dup := m[k]; !dup {
			keys = append(keys, k)
		}
		m[k] = s
	}
	return m, keys
}

// compareStatements matches each live log with the simulated one, call
// by call. An actor only one side had (a retry one side made, a worker
// that ran once more) is one difference of path; so is a call where the
// two sent other statements, after which the actor's later calls are not
// compared (their paths have parted).
func compareStatements(row stmtScenario) stmtCompare {
	var c stmtCompare
	sim, simKeys := byCall(row.Sim)
	for i, lv := range row.Live {
		run := i + 1
		lv, swaps := matchRoles(row.Sim, lv)
		for _, sw := range swaps {
			c.Diffs = append(c.Diffs, stmtDiff{Run: run, Actor: sw[0], Text: "", What: "the race went the other way: live, the handler " + sw[1] + " did what " + sw[0] + " did in the simulation, and is compared with it", Path: true})
		}
		lm, liveKeys := byCall(lv)
		parted := map[string]bool{}
		all := append(slices.Clone(simKeys), liveKeys...)
		slices.SortFunc(all, func(a, b stmtKey) int { return cmp.Or(cmp.Compare(a.actor, b.actor), cmp.Compare(a.call, b.call)) })
		all = slices.Compact(all)
		simActors, liveActors := actorsOf(row.Sim), actorsOf(lv)
		for _, k := range all {
			if parted[k.actor] {
				continue
			}
			s, inSim := sim[k]
			l, inLive := lm[k]
			switch {
			case !liveActors[k.actor]:
				parted[k.actor] = true
				c.Diffs = append(c.Diffs, stmtDiff{Run: run, Actor: k.actor, Call: k.call, Text: s.Text, What: "the actor ran only in the simulation", Path: true})
				continue
			case !simActors[k.actor]:
				parted[k.actor] = true
				c.Diffs = append(c.Diffs, stmtDiff{Run: run, Actor: k.actor, Call: k.call, Text: l.Text, What: "the actor ran only live", Path: true})
				continue
			case !inLive:
				parted[k.actor] = true
				c.Diffs = append(c.Diffs, stmtDiff{Run: run, Actor: k.actor, Call: k.call, Text: s.Text, What: "the simulated actor made more calls (live it stopped at call " + strconv.Itoa(int(k.call-1)) + ")", Path: true})
				continue
			case !inSim:
				parted[k.actor] = true
				c.Diffs = append(c.Diffs, stmtDiff{Run: run, Actor: k.actor, Call: k.call, Text: l.Text, What: "the live actor made more calls (simulated it stopped at call " + strconv.Itoa(int(k.call-1)) + ")", Path: true})
				continue
			case s.Text != l.Text:
				parted[k.actor] = true
				c.Diffs = append(c.Diffs, stmtDiff{Run: run, Actor: k.actor, Call: k.call, Text: s.Text, What: "live sent `" + l.Text + "` instead", Path: true})
				continue
			}
			c.Matched++
			if s.Waited {
				c.SimWaits++
			}
			if l.Waited {
				c.LiveWaits++
			}
			var what []string
			if s.Code == l.Code {
				c.SameCode++
				if s.Count == l.Count {
					c.SameCount++
				} else {
					what = append(what, "simulated "+s.Result()+", live "+l.Result())
				}
			} else {
				what = append(what, "simulated "+s.Result()+", live "+l.Result())
			}
			if s.Waited == l.Waited {
				c.SameWait++
			} else {
				what = append(what, "waited for a lock "+map[bool]string{true: "only simulated", false: "only live"}[s.Waited])
			}
			if len(what) > 0 {
				c.Diffs = append(c.Diffs, stmtDiff{Run: run, Actor: k.actor, Call: k.call, Text: s.Text, What: strings.Join(what, "; ")})
			}
		}
	}
	return c
}

func actorsOf(log []world.Statement) map[string]bool {
	m := map[string]bool{}
	for _, s := range log {
		m[s.Actor] = true
	}
	return m
}

// withLiveServices runs f with a throwaway PostgreSQL and Redis, stopped
// afterwards, and a context an interrupt cancels.
func withLiveServices(f func(ctx context.Context, dsn string, rd *instance.Redis) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	dir, err := os.MkdirTemp("", "idemsim-sim-vs-live-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pg, err := instance.StartPostgres(ctx, dir)
	if err != nil {
		return err
	}
	defer pg.Stop()
	rd, err := instance.StartRedis(ctx, dir)
	if err != nil {
		return err
	}
	defer rd.Stop()
	return f(ctx, pg.DSN(), rd)
}

// matchRoles renames the actors of a live log so that each is compared
// with the simulated actor whose part it played: two clients racing on
// one operation (the same operation and attempt from two clients) may
// reach the database in the other order live, and then the first one's
// statements are the simulated second one's. Among the actors racing on
// one operation it takes the pairing under which the most calls sent the
// same statement and got the same answer, the actors' own names first on
// a tie. It returns the renamed log and each pair renamed (simulated
// actor, live actor).
func matchRoles(sim, lv []world.Statement) ([]world.Statement, [][2]string) {
	simBy, liveBy := racers(sim), racers(lv)
	simCalls, _ := byCall(sim)
	rename := map[string]string{}
	var swaps [][2]string
	for _, race := range sortedKeys(liveBy) {
		la, sa := liveBy[race], simBy[race]
		if len(la) < 2 || len(la) != len(sa) || len(la) > 4 {
			continue
		}
		best, bestScore := sa, -1
		for _, perm := range permutations(sa) {
			score := 0
			for i, live := range la {
				for _, st := range lv {
					if st.Actor != live {
						continue
					}
					s, ok := simCalls[stmtKey{perm[i], st.Call}]
					if ok && s.Text == st.Text && s.Code == st.Code && s.Count == st.Count {
						score++
					}
				}
			}
			if score > bestScore {
				best, bestScore = perm, score
			}
		}
		for i, live := range la {
			if best[i] != live {
				rename[live] = best[i]
				swaps = append(swaps, [2]string{best[i], live})
			}
		}
	}
	if len(rename) == 0 {
		return lv, nil
	}
	out := slices.Clone(lv)
	for i := range out {
		if to, ok := rename[out[i].Actor]; ok {
			out[i].Actor = to
		}
	}
	return out, swaps
}

// racers groups a log's request handlers by what they serve besides their
// client (the operation, the attempt, a copy), each group's actors in
// order; workers are left out.
func racers(log []world.Statement) map[string][]string {
	m := map[string][]string{}
	for _, st := range log {
		client, rest, ok := strings.Cut(st.Actor, "/")
		if !ok || !strings.HasPrefix(rest, "o") || client == "" {
			continue
		}
		if !slices.Contains(m[rest], st.Actor) {
			m[rest] = append(m[rest], st.Actor)
		}
	}
	for _, v := range m {
		slices.Sort(v)
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// permutations lists every order of xs, xs's own first.
func permutations(xs []string) [][]string {
	if len(xs) <= 1 {
		return [][]string{slices.Clone(xs)}
	}
	var out [][]string
	for i := range xs {
		rest := append(slices.Clone(xs[:i]), xs[i+1:]...)
		for _, p := range permutations(rest) {
			out = append(out, append([]string{xs[i]}, p...))
		}
	}
	return out
}

func indexScenario(scs []claims.Scenario, name string) int {
	return slices.IndexFunc(scs, func(sc claims.Scenario) bool { return sc.Name == name })
}
