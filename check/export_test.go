package check

import (
	"time"

	"github.com/idemsim/idemsim/sim/world"
)

// LinearizeBySearch is Linearize with porcupine searching every partition:
// neither the order as sent nor impossible counts settle one first.
func LinearizeBySearch(res *world.Result, timeout time.Duration) (Linearization, error) {
	return linearize(res, timeout, shortcuts{fold: true})
}
