// Command idemsim runs the idempotency-key simulator: one strategy, one seed,
// one world, and a verdict with the command that reproduces it.
//
//	idemsim run --strategy naive --seed 1 --drop-response 0.2
//	idemsim list
//
// The command's body is package cli, which a program in another module
// calls with strategies of its own.
package main

import "github.com/idemsim/idemsim/cli"

func main() { cli.Main() }
