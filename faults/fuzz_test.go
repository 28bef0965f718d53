package faults_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim/api"
)

// faultSeeds are fault lines: one of each kind as `idemsim run
// --faults-out` wrote them for chaos worlds, the forms the parser's tests
// read, extreme times (issue 16), and malformed lines.
var faultSeeds = []string{
	"crash s1@157.899116ms+100ms",
	"crash-at s2:after-claim#5+100ms at=0.382695557s",
	"db-drop-connection c4/o4.4/a1/db3 at=112.644624675s",
	"db-lost-commit-ack s1/consumer/db7 at=2s",
	"drop-request c3/o3.2/a3 at=1.761642012s",
	"drop-response c3/o3.1/a1 at=0.055282166s",
	"duplicate-request c2/o2.1/a1 at=0.002034417s extra=5.117159ms",
	"duplicate-response c3/o3.1/a2 at=0.370780919s extra=6.191912ms",
	"gateway-500 c3/o2.3/a1/gateway1 at=126.399954567s",
	"gateway-timeout c4/o4.3/a3/gateway1 at=1.571499847s",
	"kv-failover kv@353.789387ms",
	"pause s3@433.18132ms+2.949033624s",
	"reset c3/o3.2/a16 at=29.790211442s",
	"client-crash c3@2s+500ms",
	"partition clients|s1@2s..5s",
	"crash any@1.5s+1s", "crash kv@3s+500ms", "crash s2@3s",
	"drop-request   c3/o3.7/a2\tat=1s", "drop-request c3/o3.7/a2",
	"duplicate-response c2/o2.1/a3/copy at=2.325103s extra=2.751193ms",
	"drop-response c1/o1.1/a1/kv3 at=1s", "gateway-500 c1/o1.1/a1/copy/gateway2 at=1s",
	"db-lost-commit-ack s2/outbox-relay/db3 at=2s", "crash-at s1:after-charge at=1s",
	"duplicate-request c1/o1.1/a1 at=1s extra=2562047h47m16.854775807s",
	"crash s1@2562047h47m16.854775807s+2562047h47m16.854775807s",
	"pause c1@1s+2562047h", "drop-request c10000/o10000.32767/a1000 at=2562047h47m16.854775807s",
	"", "crash", "bogus c1/o1.1/a1 at=1s", "drop-request c1/o1.1/a0 at=1s",
	"drop-request c1/o1.1/a1 at=-1s", "crash-at any:after-charge~0.1 at=1s", "pause s1@1s",
	"partition clients|s1@5s..2s", "crash db@1s", "kv-failover s1@1s",
}

// Goal: ParseFault never panics and refuses with one line; a fault it
// reads prints as a line that reads back to the same fault and prints the
// same — the promise that a recorded fault list replays — and its identity
// (what a replay matches fired faults by) survives the round trip.
// Method: fuzzing, seeded with faultSeeds and testdata/fuzz/FuzzParseFault.
func FuzzParseFault(f *testing.F) {
	for _, s := range faultSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		fault, err := faults.ParseFault(line)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "ParseFault(%q): a one-line error\n%s", line, rerun(t))
			return
		}
		printed := fault.String()
		assert.NotContains(t, printed, "\n", "%q prints on one line\n%s", line, rerun(t))
		back, err := faults.ParseFault(printed)
		require.NoError(t, err, "ParseFault(%q) printed %q, which does not parse\n%s", line, printed, rerun(t))
		assert.Equal(t, fault, back, "ParseFault(%q) printed %q, which reads back otherwise\n%s", line, printed, rerun(t))
		assert.Equal(t, printed, back.String(), "the printed line is canonical\n%s", rerun(t))
		assert.Equal(t, fault.Identity(), back.Identity(), rerun(t))
	})
}

// Goal: ReadFaults never panics and refuses with one line; what it reads
// is each line that is not blank or a comment, parsed alone, and writing
// those faults one per line reads back to the same list (a crash point's
// #N is not a comment: replaying a recorded crash-at once ran the first
// occurrence, at no time, found here); Header never panics. Method: fuzzing,
// seeded with fault lists as --faults-out writes them (header, faults) and
// damaged ones, and testdata/fuzz/FuzzReadFaults.
func FuzzReadFaults(f *testing.F) {
	header := "# command: idemsim run --strategy stripe-replay --work charge --chaos 1\n" +
		"# trace: 3862fe83ae7a643f; replay with: idemsim run <the same flags> --replay c1.faults\n"
	f.Add(header + strings.Join(faultSeeds[:15], "\n") + "\n")
	f.Add(header)
	f.Add("crash s1@1s # a comment after a fault\n\n   \n# the end")
	f.Add("crash s1@1s\r\ncrash s2@2s\r\n")
	f.Add("crash s1@1s\x00\n")
	f.Add("# " + strings.Repeat("x", 70_000) + "\ncrash s1@1s\n")
	f.Add(strings.Repeat("\n", 100) + "drop-request c1/o1.1/a1 at=1s")
	f.Fuzz(func(t *testing.T, text string) {
		_ = faults.Header(strings.NewReader(text))
		list, err := faults.ReadFaults(strings.NewReader(text))
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "ReadFaults: a one-line error\n%s", rerun(t))
			return
		}
		var want []faults.Fault
		for _, line := range strings.Split(text, "\n") {
			if line = strings.TrimSpace(line); strings.HasPrefix(line, "#") {
				continue
			}
			for _, sep := range []string{" #", "\t#"} {
				line, _, _ = strings.Cut(line, sep)
			}
			if line = strings.TrimSpace(line); line == "" {
				continue
			}
			f, err := faults.ParseFault(line)
			require.NoError(t, err, "ReadFaults took the list, ParseFault refuses its line %q\n%s", line, rerun(t))
			want = append(want, f)
		}
		assert.Equal(t, want, list, "ReadFaults reads each line as ParseFault does\n%s", rerun(t))
		var b bytes.Buffer
		for _, f := range list {
			b.WriteString(f.String() + "\n")
		}
		back, err := faults.ReadFaults(&b)
		require.NoError(t, err, "the list as written back\n%s", rerun(t))
		assert.Equal(t, list, back, "the list written back reads back the same\n%s", rerun(t))
	})
}

// planSyntaxes are the parsers of the fault flags' values (--partition,
// --crash, --client-crash, --pause, --crash-at, --link, --trace-op, and
// the messages a --fault names), each with the printing it must read back.
var planSyntaxes = []struct {
	name  string
	parse func(string) (any, string, error) // the value, printed
}{
	{"node-set", func(s string) (any, string, error) { v, err := faults.ParseNodeSet(s); return v, v.String(), err }},
	{"link-rule", func(s string) (any, string, error) { v, err := faults.ParseLinkRule(s); return v, v.String(), err }},
	{"partition", func(s string) (any, string, error) { v, err := faults.ParsePartition(s); return v, v.String(), err }},
	{"crash", func(s string) (any, string, error) { v, err := faults.ParseCrash(s); return v, v.String(), err }},
	{"pause", func(s string) (any, string, error) { v, err := faults.ParsePause(s); return v, v.String(), err }},
	{"crash-point", func(s string) (any, string, error) { v, err := faults.ParseCrashPoint(s); return v, v.String(), err }},
	{"ref", func(s string) (any, string, error) { v, err := faults.ParseRef(s); return v, v.String(), err }},
	{"op", func(s string) (any, string, error) { v, err := api.ParseOpID(s); return v, v.String(), err }},
}

// Goal: every parser of a fault flag's value never panics, refuses with
// one line, and prints what it accepts in a form it reads back to the same
// value (a run's reproduce command and a shrunk scenario are made of those
// prints). Method: fuzzing — each input goes to every parser — seeded with
// the values the tests and the README use and testdata/fuzz/FuzzPlanSyntax.
func FuzzPlanSyntax(f *testing.F) {
	for _, s := range []string{
		"c1", "c1,s2", "clients", "servers", "*", "db", "kv,gateway,queue", "services", "c1,", "C1",
		"clients-s2:drop-response=0.5;delay=const:20ms", "*-*:drop-request=0", "c1,c2-servers:duplicate=1;reset=0.25",
		"s1-s2:delay=lognormal:5ms,0.5", "c1-s1:reset=1e-1", "c1-s1:duplicate=.5", "clients-s2:reset=NaN",
		"clients|s1,s2@2s..5s", "*|servers@1.5s..2s", "clients|s1@0s...5s", "clients|s1@5s..2s",
		"s2@3s+1s", "c3@2s+500ms", "any@1500ms", "kv@3s+1s", "s2@3s+1m35s", "s1@2562047h47m16.854775807s+1ns",
		"s1:after-charge#3+2s", "any:before-commit~0.1", "s1:after-charge#1073741824", "any:after-charge#2",
		"c3/o3.7/a2", "c3/o3.7/a2/copy/gateway1", "s1/consumer/queue17", "c3/o3.7/a02", "o3.7", "o32767.32767", "o0.1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range planSyntaxes {
			v, printed, err := p.parse(s)
			if err != nil {
				assert.NotContains(t, err.Error(), "\n", "%s %q: a one-line error\n%s", p.name, s, rerun(t))
				continue
			}
			back, again, err := p.parse(printed)
			require.NoError(t, err, "%s %q printed %q, which does not parse\n%s", p.name, s, printed, rerun(t))
			assert.Equal(t, v, back, "%s %q printed %q, which reads back otherwise\n%s", p.name, s, printed, rerun(t))
			assert.Equal(t, printed, again, "%s: the printed form is canonical\n%s", p.name, rerun(t))
		}
	})
}

// Goal: a fault list keeps a crash point's occurrence: the '#' of
// crash-at s2:after-claim#5 is not a comment, while one at the start of a
// line or after white space is (reading the first as a comment made
// --replay crash at the first occurrence, at time 0, with the default
// downtime, and the replayed run differ from the recorded one). Method:
// read a line --faults-out wrote for a chaos world, with comments around.
func TestReadFaultsKeepsTheOccurrence(t *testing.T) {
	list, err := faults.ReadFaults(strings.NewReader("# command: idemsim run --chaos 1\n" +
		"crash-at s2:after-claim#5+100ms at=0.382695557s # the fifth claim\n" +
		"crash-at s3:after-claim#4+100ms at=70.383734799s\t#\n#crash s1@1s\n"))
	require.NoError(t, err, rerun(t))
	require.Len(t, list, 2, rerun(t))
	assert.Equal(t, "crash-at s2:after-claim#5+100ms at=0.382695557s", list[0].String(), rerun(t))
	assert.Equal(t, 5, list[0].Point.Nth, rerun(t))
	assert.Equal(t, "crash-at s3:after-claim#4+100ms at=70.383734799s", list[1].String(), rerun(t))
}
