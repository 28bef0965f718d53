package cli

import (
	"fmt"
	"time"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/sim/world"
)

// maxScalePower bounds the time scales sim-vs-live tries: 1/10 to
// 1/10^maxScalePower.
const maxScalePower = 9

// clientsDoneAt is when a run's last client concluded, in simulated time.
func clientsDoneAt(res *world.Result) time.Duration {
	var done time.Duration
	for _, o := range res.Outcomes {
		done = max(done, time.Duration(o.End))
	}
	return done
}

// unfinished counts the operations a run's clients never concluded.
func unfinished(res *world.Result) int {
	n := 0
	for _, o := range res.Outcomes {
		if o.Belief == world.Unfinished {
			n++
		}
	}
	return n
}

// scaledForLive is a scenario's world (res its simulated run) scaled by
// the largest power of ten under which its clients finish within maxReal,
// with the simulator's verdict on that scaled world and when its clients
// finish. why says, when no factor does, what stopped it.
func scaledForLive(cfg world.Config, res *world.Result, maxReal time.Duration) (scaled world.Config, verdict string, scaledDone time.Duration, why string, err error) {
	done := clientsDoneAt(res)
	den := int64(1)
	for p := 1; p <= maxScalePower; p++ {
		den *= 10
		f, err := world.ParseTimeScale(fmt.Sprintf("1/%d", den))
		if err != nil {
			return cfg, "", 0, "", err
		}
		if f.Of(done) > maxReal {
			continue
		}
		scaled, err := cfg.Scaled(f)
		if err != nil {
			return cfg, "", 0, fmt.Sprintf("its clients finish after %v of simulated time, more than %v of real time, and %v", done.Round(time.Millisecond), maxReal, err), nil
		}
		sres, err := world.Run(scaled)
		if err != nil {
			return cfg, "", 0, "", err
		}
		if n := unfinished(sres); n > unfinished(res) {
			// An operation left unfinished has no end to measure: the
			// scale broke the world rather than shortened it.
			return cfg, "", 0, fmt.Sprintf("its clients finish after %v of simulated time, more than %v of real time, and scaled by %v they leave %d operations unfinished that the unscaled world concludes", done.Round(time.Millisecond), maxReal, f, n-unfinished(res)), nil
		}
		if scaledDone = clientsDoneAt(sres); scaledDone > maxReal {
			// Durations left as they are (backoff, delays) keep it long.
			continue
		}
		rep := check.Audit(sres)
		return scaled, verdictOf(&rep), scaledDone, "", nil
	}
	return cfg, "", 0, fmt.Sprintf("its clients finish after %v of simulated time, more than %v of real time, even with its durations scaled by 1/%d", done.Round(time.Millisecond), maxReal, den), nil
}

// scaledRows counts the rows that ran with a time scale.
func scaledRows(data simVsLive) int {
	n := 0
	for _, s := range data.Scenarios {
		if s.Scale != "" && s.Skipped == "" {
			n++
		}
	}
	return n
}
