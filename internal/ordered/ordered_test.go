package ordered

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// TestRunMergesInOrder checks that results reach merge in the jobs'
// order whatever the goroutines, that each job sees only finished
// predecessors, and that a stop hands back the jobs started past it, in
// order. Method: jobs whose length varies with their index, on 1, 2 and
// 4 goroutines; then a merge that stops at job 5.
func TestRunMergesInOrder(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(workers), func(t *testing.T) {
			var got []int
			spilled := Run(20, workers, func(i int, done []*int) int {
				for j, d := range done {
					if d != nil {
						assert.Equal(t, j*j, *d, testcmd.Rerun(t, "./internal/ordered"))
					}
				}
				sum := 0
				for k := range (20 - i) * 1000 {
					sum += k
				}
				_ = sum
				return i * i
			}, func(i, r int) bool {
				assert.Equal(t, i*i, r, testcmd.Rerun(t, "./internal/ordered"))
				got = append(got, i)
				return true
			})
			assert.Empty(t, spilled, testcmd.Rerun(t, "./internal/ordered"))
			assert.Len(t, got, 20, testcmd.Rerun(t, "./internal/ordered"))

			spilled = Run(20, workers, func(i int, _ []*int) int { return i }, func(i, r int) bool { return i < 5 })
			for k, r := range spilled {
				assert.Equal(t, 6+k, r, "spilled in order; %s", testcmd.Rerun(t, "./internal/ordered"))
			}
		})
	}
}
