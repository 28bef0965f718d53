// Command strategy-template is idemsim with one strategy more, defined in
// this module (package onetxn): every idemsim command runs it by name.
//
//	go run . run --strategy one-txn-replay --drop-response 0.2
//	go run . live --strategy one-txn-replay
package main

import (
	"github.com/idemsim/idemsim/cli"

	"example.com/strategy-template/onetxn"
)

func main() { cli.Main(onetxn.Strategy) }
