// Package cli is the idemsim command as a library, so that a program in
// another module can add strategies of its own, written against package
// sim/api, and get every command for them: run, live, experiment, shrink,
// table, list and the rest, with the same flags, oracles and outputs as
// the built-in strategies get.
//
//	package main
//
//	import (
//		"github.com/idemsim/idemsim/cli"
//		"example.com/payments/mystrategy"
//	)
//
//	func main() { cli.Main(mystrategy.Strategy) }
//
// Then `go run . run --strategy my-strategy --drop-response 0.2` runs it in
// a simulated world, `go run . live --strategy my-strategy` on real
// PostgreSQL and Redis through the fault proxy, and `go run . experiment
// NAME` sweeps it with the catalogue's strategies. A strategy is checked
// when it is registered (models.Check): a name of its own, a rule, a
// position, a contract the oracles know, a ledger its schema creates.
//
// A test in that module registers the strategies itself
// (models.Register, in TestMain) and calls Run, which is Main without
// os.Args and os.Exit. Soak runs the chaos the catalogue's strategies are
// held to (random fault mixes on one and three servers, audited for
// duplicates and lost operations and checked by porcupine against the
// strategy's contract), for such a test to assert on. The command itself
// is cmd/idemsim, which calls Main with no strategy of its own;
// examples/strategy-template is a module to copy.
package cli
