package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/db/sql"
	"github.com/idemsim/idemsim/sim/world"
)

// printSummary prints the verdict of one run — the audit's, then
// porcupine's check of the history against the strategy's contract (lin,
// or linErr when the contract has no specification) — and, for each
// violation listed, the exact command that reproduces it.
func printSummary(w io.Writer, command string, res *world.Result, rep *check.Report, lin *check.Linearization, linErr error, listViolations int) {
	printSummaryOf(w, command, res, rep, lin, linErr, listViolations, nil)
}

// printSummaryOf is printSummary for a simulated run (lf nil) or a live
// one, whose database and run lines say what a live run knows.
func printSummaryOf(w io.Writer, command string, res *world.Result, rep *check.Report, lin *check.Linearization, linErr error, listViolations int, lf *liveFacts) {
	cfg := &res.Config
	l := cfg.Faults.Link
	fmt.Fprintf(w, "command    %s\n", command)
	fmt.Fprintf(w, "strategy   %s (contract %s): %s\n", cfg.Strategy.Name, cfg.Strategy.Contract, cfg.Strategy.Rule)
	work := "local (the payment row)"
	switch {
	case cfg.Charge:
		work = "charge (the gateway, then the payment row)"
	case cfg.Charges():
		work = "charge (the strategy always charges the gateway, whatever --work)"
	}
	// A target's work is its own: no line for ours.
	target := lf != nil && lf.effects != ""
	if st, err := cfg.Settings(); !target && err == nil && len(cfg.Strategy.Switches) > 0 {
		fmt.Fprintf(w, "switches   %s; work %s\n", st.Switches.Format(cfg.Strategy.Switches), work)
	} else if !target {
		fmt.Fprintf(w, "work       %s\n", work)
	}
	fmt.Fprintf(w, "world      %s (%s), %s x %s", plural(cfg.Servers, "server"), cfg.Balancer, plural(cfg.Clients, "client"), plural(cfg.OpsPerClient, "op"))
	if cfg.WorkersPerOp > 1 {
		fmt.Fprintf(w, " (%d workers per queue)", cfg.WorkersPerOp)
	}
	fmt.Fprintf(w, ", timeout %v, %d attempts, seed %d\n", cfg.Client.TimeoutPerAttempt, cfg.Client.Attempts, cfg.Seed)
	if text := cfg.TimeScaleText(); text != "" {
		fmt.Fprintf(w, "time scale durations scaled by %s\n", text)
	}
	fmt.Fprintf(w, "network    delay %s, drop-request %v, drop-response %v, duplicate %v, reset %v\n",
		l.Delay, l.DropRequestRate, l.DropResponseRate, l.DuplicateRate, l.ResetRate)
	dbs := res.DB
	replica := ""
	if cfg.DB.ReplicaLag > 0 {
		replica = fmt.Sprintf(", replica %v behind", cfg.DB.ReplicaLag)
	}
	if lf != nil && lf.effects != "" {
		fmt.Fprintf(w, "effects    %s\n", lf.effects)
	} else if lf != nil {
		fmt.Fprintf(w, "database   PostgreSQL, %s, pool %d per server\n", levelText(cfg), cfg.DB.PoolSize)
	} else {
		fmt.Fprintf(w, "database   %s%s, pool %d per server; %d statements, %d commits, %d aborts (%d serialization failures, %d deadlocks), %d lock waits\n",
			levelText(cfg), replica, cfg.DB.PoolSize, dbs.Statements, dbs.Commits, dbs.Aborts, dbs.SerializationFailures, dbs.Deadlocks, dbs.Waits)
	}
	fmt.Fprintf(w, "faults     %s\n", firedSummary(res.Faults))
	if lf != nil {
		for _, a := range lf.anchored {
			fmt.Fprintf(w, "anchored   %s\n", a)
		}
	}
	b := rep.Beliefs
	fmt.Fprintf(w, "ops        %s, %s; clients concluded done %d, failed %d, exhausted %d, unfinished %d\n",
		plural(rep.Ops, "operation"), plural(rep.Attempts, "attempt"), b[world.BelievedDone], b[world.BelievedFailed], b[world.Exhausted], b[world.Unfinished])
	fmt.Fprintf(w, "ledger     %s for %s\n", ledgerSummary(res.Ledger), plural(rep.Ops, "operation"))
	var verdict []string
	for _, k := range check.Kinds {
		name := string(k)
		if rep.Counts[k] > 0 {
			name = strings.ToUpper(name)
		}
		v := fmt.Sprintf("%s %d", name, rep.Counts[k])
		if k == check.OrphanCharge && rep.OrphanCents > 0 {
			v += " (" + check.Cents(rep.OrphanCents) + ")"
		}
		verdict = append(verdict, v)
	}
	fmt.Fprintf(w, "verdict    %s\n", strings.Join(verdict, "  "))
	if len(rep.GiveUps) > 0 {
		var causes []string
		gave := 0
		for _, c := range rep.GiveUps {
			causes = append(causes, fmt.Sprintf("%s %d", c.Class, c.Count))
			gave += c.Count
		}
		fmt.Fprintf(w, "gave up    %s stuck or unconfirmed, why: %s\n", plural(gave, "operation"), strings.Join(causes, ", "))
	}
	if linErr != nil {
		fmt.Fprintf(w, "porcupine  not checked: %v\n", linErr)
	} else {
		fmt.Fprintf(w, "porcupine  %s\n", lin.Summary())
		if note := oraclesNote(cfg, rep, lin); note != "" {
			fmt.Fprintf(w, "oracles    %s\n", note)
		}
	}
	fmt.Fprintf(w, "latency    p50 %v  p99 %v (first attempt to conclusion)\n", rep.LatencyP50.Round(time.Microsecond), rep.LatencyP99.Round(time.Microsecond))
	switch {
	case lf != nil && lf.services > 0:
		fmt.Fprintf(w, "run        %v real, %s (throwaway PostgreSQL and Redis up in %v)\n", lf.elapsed.Round(time.Millisecond), res.Stop, lf.services.Round(time.Millisecond))
	case lf != nil:
		fmt.Fprintf(w, "run        %v real, %s\n", lf.elapsed.Round(time.Millisecond), res.Stop)
	default:
		fmt.Fprintf(w, "run        %v virtual, %s, %d events, trace %016x\n", res.End, res.Stop, res.Kernel.Events, res.TraceHash)
	}
	switch res.Stop {
	case sim.EventLimit:
		fmt.Fprintf(w, "stopped    at the event limit of %d events, before the run finished: the verdict covers only what happened so far\n", res.Kernel.Events)
	case world.MemoryLimit:
		fmt.Fprintf(w, "stopped    at the memory limit of %s, before the run finished: the verdict covers only what happened so far\n", world.FormatBytes(world.MaxRunBytes))
	}
	if len(rep.Violations) == 0 || listViolations == 0 {
		return
	}
	n := min(listViolations, len(rep.Violations))
	fmt.Fprintf(w, "violations (%d of %d):\n", n, len(rep.Violations))
	for _, v := range rep.Violations[:n] {
		fmt.Fprintf(w, "  %s\n", v)
		if lf == nil {
			fmt.Fprintf(w, "    reproduce: %s --trace-op %s\n", command, v.Op)
		}
	}
}

// oraclesNote says why the audit and porcupine differ when they differ by
// design (check's package documentation): porcupine judges the answers
// against the contract the strategy promises, the audit the end state
// against what the business needed.
func oraclesNote(cfg *world.Config, rep *check.Report, lin *check.Linearization) string {
	if lin.Counts[check.Illegal] > 0 {
		return ""
	}
	var notes []string
	if rep.Counts[check.Duplicate] > 0 && cfg.Strategy.Contract == api.ContractNone {
		notes = append(notes, "contract none promises nothing about repeats, so its duplicates break no promise porcupine checks (the audit counts them: the business needed them avoided)")
	}
	var unseen []string
	for _, k := range []check.Kind{check.Stuck, check.Unconfirmed, check.OrphanCharge} {
		if rep.Counts[k] > 0 {
			unseen = append(unseen, string(k))
		}
	}
	if len(unseen) > 0 {
		notes = append(notes, strings.Join(unseen, ", ")+" contradict no answer a client was given, so no contract forbids them (porcupine finds them legal; the audit reads the end state)")
	}
	return strings.Join(notes, "; ")
}

// ledgerSummary counts the effects by source: "800 payments rows, 3
// gateway charges".
func ledgerSummary(rows []world.Row) string {
	if len(rows) == 0 {
		return "0 effects"
	}
	var sources []string
	counts := map[string]int{}
	for _, r := range rows {
		noun := r.Source + " row"
		switch {
		case r.Source == world.SourceGateway:
			noun = "gateway charge"
		case r.Deleted:
			noun = r.Source + " deletion"
		}
		if counts[noun] == 0 {
			sources = append(sources, noun)
		}
		counts[noun]++
	}
	parts := make([]string, len(sources))
	for i, noun := range sources {
		parts[i] = plural(counts[noun], noun)
	}
	return strings.Join(parts, ", ")
}

func withoutTraceFlags(given []string) []string {
	var out []string
	for i := 0; i < len(given); i++ {
		switch given[i] {
		case "--trace", "--help":
			continue
		case "--trace-op", "--faults-out", "--out", "--violations":
			i++
			continue
		}
		out = append(out, given[i])
	}
	return out
}

func firedSummary(list []faults.Fault) string {
	if len(list) == 0 {
		return "none fired"
	}
	var counts []int
	var kinds []faults.Kind
	for _, f := range list {
		found := false
		for i, k := range kinds {
			if k == f.Kind {
				counts[i]++
				found = true
			}
		}
		if !found {
			kinds = append(kinds, f.Kind)
			counts = append(counts, 1)
		}
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = k.String() + " " + strconv.Itoa(counts[i])
	}
	return strconv.Itoa(len(list)) + " fired: " + strings.Join(parts, ", ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// levelText is the run's isolation level, with the granularity of its read
// locks at serializable.
func levelText(cfg *world.Config) string {
	if cfg.DB.Isolation == sql.Serializable {
		return cfg.DB.Isolation.Slug() + " (" + cfg.DB.SSILocks.String() + " locks)"
	}
	return cfg.DB.Isolation.Slug()
}
