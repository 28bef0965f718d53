package gctune

import (
	"math"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: Apply sets Percent and MemoryLimit, and leaves a GOGC or a
// GOMEMLIMIT the user chose alone.
// Method: apply with each unset and set, reading the setting back (setting
// it returns the previous one; a negative limit only reads it).
func TestApply(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/gctune")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	limit := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(limit)
	for _, tc := range []struct {
		name, gogc, gomemlimit string
		want                   int
		wantLimit              int64
	}{
		{"default", "", "", Percent, MemoryLimit},
		{"user-chose-gogc", "150", "", 100, MemoryLimit},
		{"user-chose-gomemlimit", "", "4GiB", Percent, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			t.Setenv("GOMEMLIMIT", tc.gomemlimit)
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			Apply()
			assert.Equal(t, tc.want, debug.SetGCPercent(100), rerun)
			assert.Equal(t, tc.wantLimit, debug.SetMemoryLimit(-1), rerun)
		})
	}
}
