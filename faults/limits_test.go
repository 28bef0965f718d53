package faults_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
)

// Goal: every moment and duration a fault spec or a fault line gives is
// refused past sim.MaxSpan with a message naming it and the limit (a time
// near the largest Go duration once overflowed the run's clock), and
// accepted at the limit itself.
// Method: each parser with the largest Go duration, with MaxSpan plus a
// nanosecond, and with MaxSpan, which must round-trip.
func TestSpecsRefuseSpansPastTheLimit(t *testing.T) {
	const huge = "2562047h47m16.854775807s"
	const over = "100000h0m0.000000001s"
	limit := "over the limit of " + sim.MaxSpanText
	past := "past the limit of " + sim.MaxSpanText
	for _, c := range []invalidCase{
		{in: "s1@1s+" + huge, why: []string{`downtime "` + huge + `" ` + limit, crashAccepted}},
		{in: "s1@1s+" + over, why: []string{`downtime "` + over + `" ` + limit}},
		{in: "s1@" + huge, why: []string{`time "` + huge + `" ` + past, crashAccepted}},
		{in: "c1@" + over + "+1s", why: []string{`time "` + over + `" ` + past}},
	} {
		t.Run("crash/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseCrash, c) })
	}
	for _, c := range []invalidCase{
		{in: "s1@1s+" + huge, why: []string{`downtime "` + huge + `" ` + limit, "accepted: " + faults.PauseSyntax}},
	} {
		t.Run("pause/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParsePause, c) })
	}
	for _, c := range []invalidCase{
		{in: "s1:after-charge+" + huge, why: []string{`downtime "` + huge + `" ` + limit, "accepted: " + faults.CrashPointSyntax}},
		{in: "any:after-charge~0.1+" + over, why: []string{`downtime "` + over + `" ` + limit}},
	} {
		t.Run("crash-at/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseCrashPoint, c) })
	}
	for _, c := range []invalidCase{
		{in: "clients|s1@1s.." + huge, why: []string{`time "` + huge + `" ` + past, partitionAccepted}},
	} {
		t.Run("partition/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParsePartition, c) })
	}
	for _, c := range []invalidCase{
		{in: "duplicate-request c1/o1.1/a1 at=1s extra=" + huge, why: []string{`field "extra=` + huge + `" ` + limit, "accepted: a duration up to " + sim.MaxSpanText}},
		{in: "drop-request c1/o1.1/a1 at=" + huge, why: []string{`field "at=` + huge + `" ` + limit}},
		{in: "crash-at s1:after-charge#1+" + huge + " at=1s", why: []string{`downtime "` + huge + `" ` + limit}},
		{in: "crash s2@3s+" + huge, why: []string{`downtime "` + huge + `" ` + limit}},
		{in: "pause s2@3s+" + huge, why: []string{`downtime "` + huge + `" ` + limit}},
		{in: "client-crash c2@3s+" + huge, why: []string{`downtime "` + huge + `" ` + limit}},
		{in: "kv-failover kv@" + huge, why: []string{`time "` + huge + `" ` + past}},
		{in: "partition clients|s1@" + huge + ".." + huge, why: []string{`time "` + huge + `" ` + past}},
	} {
		t.Run("fault/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseFault, c) })
	}
	for _, c := range []validCase{
		{in: "s1@100000h0m0s+100000h0m0s"},
	} {
		t.Run("crash-at-the-limit", func(t *testing.T) { checkRoundTrip(t, faults.ParseCrash, c) })
	}
	for _, c := range []validCase{
		{in: "duplicate-request c1/o1.1/a1 at=360000000s extra=100000h0m0s"},
		{in: "pause s1@100000h0m0s+100000h0m0s"},
	} {
		t.Run("fault-at-the-limit", func(t *testing.T) { checkRoundTrip(t, faults.ParseFault, c) })
	}
}

// Goal: a plan built in code is checked as its flags would be: any time,
// downtime, mean or distribution past sim.MaxSpan is refused, naming the
// flag that would have set it. Method: a table of plans, each with one
// value just past the limit, and the setting Check must name.
func TestPlanCheck(t *testing.T) {
	over := sim.MaxSpan + 1
	for _, c := range []struct {
		name, setting string
		edit          func(*faults.Plan)
	}{
		{"delay", "delay", func(p *faults.Plan) { p.Link.Delay = sim.Exp(over) }},
		{"service-delay", "service-delay", func(p *faults.Plan) { p.ServiceLink.Delay = sim.Const(over) }},
		{"link-delay", "link", func(p *faults.Plan) {
			p.Links = []faults.LinkRule{{A: faults.NodeSet{"clients"}, B: faults.NodeSet{"s1"}, Assign: []faults.Assign{{Field: "delay", Delay: sim.LogNormal(over, 1)}}}}
		}},
		{"partition", "partition", func(p *faults.Plan) {
			p.Partitions = []faults.Partition{{A: faults.NodeSet{"clients"}, B: faults.NodeSet{"s1"}, From: 0, To: sim.Time(over)}}
		}},
		{"crash", "crash", func(p *faults.Plan) { p.Crashes = []faults.Crash{{Node: "s1", At: 1, Downtime: over}} }},
		{"client-crash", "client-crash", func(p *faults.Plan) { p.ClientCrashes = []faults.Crash{{Node: "c1", At: sim.Time(over), Downtime: 1}} }},
		{"pause", "pause", func(p *faults.Plan) { p.Pauses = []faults.Crash{{Node: "s1", At: 1, Downtime: over}} }},
		{"crash-every", "crash-every", func(p *faults.Plan) { p.CrashEvery = over }},
		{"downtime", "downtime", func(p *faults.Plan) { p.Downtime = over }},
		{"crash-at", "crash-at", func(p *faults.Plan) {
			p.CrashPoints = []faults.CrashPoint{{Node: "s1", Point: "after-charge", Nth: 1, Downtime: over}}
		}},
		{"kv-failover", "kv-failover", func(p *faults.Plan) { p.Failovers = []sim.Time{sim.Time(over)} }},
		{"step-pause", "step-pause", func(p *faults.Plan) { p.StepPauseRate, p.StepPause = 0.5, over }},
		{"replayed-extra", "replay", func(p *faults.Plan) {
			p.Replay = []faults.Fault{{Kind: faults.DuplicateRequest, Msg: faults.Ref{Caller: "c1", Attempt: 1}, Extra: over}}
		}},
		{"replayed-pause", "replay", func(p *faults.Plan) {
			p.Replay = []faults.Fault{{Kind: faults.PauseFault, Crash: faults.Crash{Node: "s1", At: 1, Downtime: over}}}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := faults.Plan{Link: faults.Link{Delay: sim.Const(time.Millisecond)}, ServiceLink: faults.Link{Delay: sim.Const(0)}, Downtime: time.Second}
			setting, err := p.Check()
			require.NoError(t, err, "the plan before the edit\n%s", rerun(t))
			require.Empty(t, setting, rerun(t))
			c.edit(&p)
			setting, err = p.Check()
			require.Error(t, err, rerun(t))
			assert.Equal(t, c.setting, setting, rerun(t))
			assert.Contains(t, err.Error(), sim.MaxSpanText, rerun(t))
		})
	}
}

// Goal: a fault list's lines have no limit of their own, only the list's
// size: a comment over 64 KB (once "bufio.Scanner: token too long") reads,
// and a list over MaxListBytes is refused with the limit, not read whole.
// Method: a list with a 1 MB comment line before its fault; then a reader
// of MaxListBytes+1 bytes of comment.
func TestReadFaultsLineAndSizeLimits(t *testing.T) {
	list, err := faults.ReadFaults(strings.NewReader("# " + strings.Repeat("x", 1<<20) + "\ndrop-response c1/o1.1/a1\n"))
	require.NoError(t, err, rerun(t))
	require.Len(t, list, 1, rerun(t))
	assert.Equal(t, "drop-response c1/o1.1/a1 at=0s", list[0].String(), rerun(t))
	header := faults.Header(strings.NewReader("# command: " + strings.Repeat("y", 100<<10) + "\n# trace: 1\ncrash s1@1s\n"))
	require.Len(t, header, 2, rerun(t))
	assert.Equal(t, "trace: 1", header[1], rerun(t))

	_, err = faults.ReadFaults(strings.NewReader("#" + strings.Repeat("z", faults.MaxListBytes)))
	require.Error(t, err, rerun(t))
	assert.EqualError(t, err, "larger than the limit of 16 MiB: not a fault list", rerun(t))
}
