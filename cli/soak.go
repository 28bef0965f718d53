package cli

import (
	"fmt"
	"runtime"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/experiments"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// SoakReport is what Soak found over its worlds.
type SoakReport struct {
	Strategy string
	Level    api.Level
	Worlds   int
	// Worlds with at least one of each: an operation whose effect landed
	// twice or more, one that never landed although a client was told it
	// did (the audit), a charge no payment row accounts for, and a
	// history porcupine finds no legal order for under the strategy's
	// contract (or could not check: its error).
	Duplicate, Lost, Orphans, Illegal, Errors int
	// Partitions porcupine checked, and those it gave up on within its
	// step budget (a figure of the worlds alone, not of the machine).
	Partitions, Unknown int
	// First is the command that shows the first failing world, in the
	// program built on Main ("" when none failed).
	First string
}

// Failed reports whether any world showed a duplicate, a lost operation,
// an orphan charge or a history illegal under the contract.
func (r SoakReport) Failed() bool {
	return r.Duplicate+r.Lost+r.Orphans+r.Illegal+r.Errors > 0
}

func (r SoakReport) String() string {
	s := fmt.Sprintf("%s at %s: %d worlds; %d with a duplicate, %d lost, %d orphan charges, %d illegal for porcupine, %d errors; %d partitions, %d unknown",
		r.Strategy, r.Level.Slug(), r.Worlds, r.Duplicate, r.Lost, r.Orphans, r.Illegal, r.Errors, r.Partitions, r.Unknown)
	if r.First != "" {
		s += "\nthe first: " + r.First
	}
	return s
}

// Soak runs a strategy at one isolation level over the chaos worlds of
// seeds 1..n (experiments.Chaos: every fault kind at random rates and
// moments, one or three servers), on every core, and checks each with
// both oracles, as the catalogue's soak does for its correct strategies
// (models' TestStrategiesUnderChaos): the audit for duplicates, lost
// operations and orphan charges, porcupine for the contract. The worlds
// depend on the seeds only, so a report is the same on any machine. The
// strategy need not be registered; the command in First needs it to be.
// Level api.DefaultLevel is the world's default level.
func Soak(s api.Strategy, level api.Level, n uint64) (SoakReport, error) {
	if level == api.DefaultLevel {
		level = world.Defaults().DB.Isolation
	}
	rep := SoakReport{Strategy: s.Name, Level: level}
	type one struct {
		seed                        uint64
		dup, lost, orphans, illegal int
		partitions, unknown         int
		err                         error
	}
	configOf := func(seed uint64) world.Config {
		cfg := experiments.Chaos(s, seed)
		cfg.DB.Isolation = level
		return cfg
	}
	err := experiments.SweepFunc(configOf, 1, n, runtime.GOMAXPROCS(0), func(seed uint64, res *world.Result) one {
		a := check.Audit(res)
		r := one{seed: seed, dup: a.Counts[check.Duplicate], lost: a.Counts[check.Lost], orphans: a.Counts[check.OrphanCharge]}
		lin, err := check.LinearizeWithin(res, 0)
		if err != nil {
			r.err = err
			return r
		}
		r.partitions, r.unknown, r.illegal = len(lin.Partitions), lin.Counts[check.Unknown], lin.Counts[check.Illegal]
		return r
	}, func(r one) {
		rep.Worlds++
		rep.Partitions += r.partitions
		rep.Unknown += r.unknown
		failed := false
		for _, c := range []struct {
			n     int
			count *int
		}{{r.dup, &rep.Duplicate}, {r.lost, &rep.Lost}, {r.orphans, &rep.Orphans}, {r.illegal, &rep.Illegal}} {
			if c.n > 0 {
				*c.count++
				failed = true
			}
		}
		if r.err != nil {
			rep.Errors++
			failed = true
		}
		if failed && rep.First == "" {
			rep.First = fmt.Sprintf("run --strategy %s --isolation %s --chaos %d --trace", s.Name, level.Slug(), r.seed)
		}
	})
	return rep, err
}
