package report

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/shrink"
)

// Goal: the shortest counterexample is the one with the fewest faults,
// then the fewest operations, then the fewest clients.
func TestShorter(t *testing.T) {
	c := func(faults, clients, ops int) *Counterexample {
		return &Counterexample{To: shrink.Size{Faults: faults, Clients: clients, Ops: ops}}
	}
	for _, tc := range []struct {
		name string
		a, b *Counterexample
		want bool
	}{
		{"fewer-faults", c(1, 4, 4), c(2, 1, 1), true},
		{"more-faults", c(3, 1, 1), c(2, 4, 4), false},
		{"fewer-operations", c(1, 2, 1), c(1, 1, 3), true},
		{"fewer-clients", c(1, 1, 4), c(1, 2, 2), true},
		{"same", c(1, 1, 1), c(1, 1, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, shorter(tc.a, tc.b), testcmd.Rerun(t, "./report"))
		})
	}
}
