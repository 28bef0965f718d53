package models

import (
	"fmt"
	"strings"

	"github.com/idemsim/idemsim/sim/world"
)

// All lists every strategy, in the order `idemsim list` prints them.
func All() []world.Strategy {
	return []world.Strategy{Naive, LocalCache}
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
func Lookup(name string) (world.Strategy, error) {
	for _, s := range All() {
		if s.Name == name {
			return s, nil
		}
	}
	return world.Strategy{}, fmt.Errorf("unknown strategy %q (accepted: %s)", name, strings.Join(Names(), ", "))
}
