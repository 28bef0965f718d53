package models

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/idemsim/idemsim/sim/api"
)

// All lists every strategy, in the order `idemsim list` prints them: the
// catalogue's, then those a program added with Register, in its order.
func All() []api.Strategy {
	return append(Builtin(), registered...)
}

// Builtin lists the catalogue's own strategies, without those added by
// Register.
func Builtin() []api.Strategy {
	return []api.Strategy{
		Naive, LocalCache, CheckThenInsert, ReplicaCheck, TxnCheckInsert, TxnCheckInsertNoRetry, Unique409,
		SelectForUpdate, SelectForUpdateNowait, ForUpdateMissingRow,
		RedisPresence, RedisLock,
		StripeReplay, IETFDraft, AtomicPhases,
		Early409, BlockUntilDone, BlockUntilDoneLocal,
		Async202, Async202DualWrite, ETag412, ClientID, ContentHash, GatewayThenPersist, PersistThenGateway,
	}
}

// IsBuiltin reports whether name is one of the catalogue's own
// strategies, not one added by Register.
func IsBuiltin(name string) bool {
	for _, s := range Builtin() {
		if s.Name == name {
			return true
		}
	}
	return false
}

// Names lists the strategies' names.
func Names() []string {
	var names []string
	for _, s := range All() {
		names = append(names, s.Name)
	}
	return names
}

// Lookup finds a strategy by name.
func Lookup(name string) (api.Strategy, error) {
	for _, s := range All() {
		if s.Name == name {
			return s, nil
		}
	}
	return api.Strategy{}, fmt.Errorf("unknown strategy %q (accepted: %s)", name, strings.Join(Names(), ", "))
}

// registered holds the strategies a program built on package cli added
// before running its command. It is written once, at start-up, before any
// world runs, and read only after: the order is the caller's, so every
// listing that walks All stays the same from run to run.
var registered []api.Strategy

// Register adds strategies written outside this repository to All, Names
// and Lookup, so that every command, sweep and report sees them as it sees
// the catalogue's. Each must be complete in the way the catalogue's
// strategies are (Check); a name already taken is an error. Register is
// meant for a program's start-up, not for concurrent use.
func Register(strategies ...api.Strategy) error {
	taken := Names()
	var add []api.Strategy
	for _, s := range strategies {
		if err := Check(s); err != nil {
			return err
		}
		if slices.Contains(taken, s.Name) {
			return fmt.Errorf("strategy %q: the name is taken (taken: %s)", s.Name, strings.Join(taken, ", "))
		}
		taken = append(taken, s.Name)
		add = append(add, s)
	}
	registered = append(registered, add...)
	return nil
}

// Unregister removes every strategy added by Register: tests that
// register their own call it when done.
func Unregister() { registered = nil }

var (
	strategyName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	pointName    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
)

// Check reports the first way a strategy's declaration is incomplete: a
// name that is not lower-case words joined by hyphens, a missing rule,
// position or Boot, a contract the oracles do not know, a ledger table the
// schema does not create, or a crash point that --crash-at cannot name.
// The catalogue's strategies pass it (TestStrategiesAreComplete).
func Check(s api.Strategy) error {
	name := s.Name
	if name == "" {
		name = "(no name)"
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("strategy %q: %s", name, fmt.Sprintf(format, args...))
	}
	switch {
	case !strategyName.MatchString(s.Name):
		return fail("the name must be lower-case letters, digits and hyphens, starting with a letter")
	case s.Rule == "":
		return fail("Rule is empty (accepted: the strategy in one sentence)")
	case s.Position == "":
		return fail("Position is empty (accepted: where the design comes from, in a sentence or two)")
	case s.Boot == nil:
		return fail("Boot is nil (accepted: a function that builds a server process)")
	case !slices.Contains(api.Contracts(), s.Contract):
		var known []string
		for _, c := range api.Contracts() {
			known = append(known, string(c))
		}
		return fail("unknown contract %q (accepted: %s)", s.Contract, strings.Join(known, ", "))
	case len(s.Ledger) == 0:
		return fail("Ledger is empty (accepted: the tables whose inserted rows are the operations' effects)")
	}
	for _, table := range s.Ledger {
		if !slices.ContainsFunc(s.Schema, func(ddl string) bool { return strings.HasPrefix(ddl, "create table "+table+" ") }) {
			return fail("ledger table %s is not created by the schema (accepted: a Schema statement starting \"create table %s \")", table, table)
		}
	}
	for _, p := range s.CrashPoints {
		if !pointName.MatchString(p) {
			return fail("crash point %q must be lower-case letters, digits and hyphens", p)
		}
	}
	return nil
}
