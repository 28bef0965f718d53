package check

import (
	"github.com/idemsim/idemsim/sim/world"
)

// LinearizeBySearch is LinearizeWithin with porcupine searching every
// partition: neither the order as sent nor impossible counts settle one
// first.
func LinearizeBySearch(res *world.Result, steps int) (Linearization, error) {
	if steps <= 0 {
		steps = DefaultSteps
	}
	return linearize(res, limit{steps: steps}, shortcuts{fold: true})
}
