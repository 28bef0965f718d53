package faults_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"

	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
)

// rerun is the command that reruns the calling test or subtest alone; every
// failure message carries it.
func rerun(t *testing.T) string { return testcmd.Rerun(t, "./faults") }

// parse calls p(in) and turns a panic into a test failure naming the input.
func parse[T any](t *testing.T, p func(string) (T, error), in string) (v T, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("parsing %q panicked: %v\n%s", in, r, rerun(t))
		}
	}()
	return p(in)
}

// validCase is an input that parses; canonical is what the value prints as
// when that differs from the input ("" means the input is already canonical).
type validCase struct {
	in, canonical string
}

// checkRoundTrip parses c.in, checks that the value prints as the canonical
// form, and that parsing the printed form gives back the same value.
func checkRoundTrip[T fmt.Stringer](t *testing.T, p func(string) (T, error), c validCase) {
	t.Helper()
	want := c.canonical
	if want == "" {
		want = c.in
	}
	v, err := parse(t, p, c.in)
	require.NoError(t, err, "input %q\n%s", c.in, rerun(t))
	assert.Equal(t, want, v.String(), "Parse(%q).String()\n%s", c.in, rerun(t))
	back, err := parse(t, p, v.String())
	require.NoError(t, err, "parsing the printed form %q of %q\n%s", v.String(), c.in, rerun(t))
	assert.Equal(t, v, back, "Parse(String(v)) != v for input %q\n%s", c.in, rerun(t))
}

// invalidCase is an input that must be refused; why are substrings of the
// error that say what was wrong and what is accepted.
type invalidCase struct {
	in  string
	why []string
}

// checkInvalid parses c.in and checks that it fails, without panicking, with
// a one-line error that contains every c.why.
func checkInvalid[T any](t *testing.T, p func(string) (T, error), c invalidCase) {
	t.Helper()
	v, err := parse(t, p, c.in)
	require.Error(t, err, "input %q parsed as %v, want an error\n%s", c.in, v, rerun(t))
	assert.NotContains(t, err.Error(), "\n", "error for %q spans several lines\n%s", c.in, rerun(t))
	for _, w := range c.why {
		assert.Contains(t, err.Error(), w, "error for %q should name %q\n%s", c.in, w, rerun(t))
	}
}

const (
	nodeAccepted      = "accepted: " + faults.NodeSetSyntax
	linkAccepted      = "accepted: " + faults.LinkRuleSyntax
	partitionAccepted = "accepted: " + faults.PartitionSyntax
	crashAccepted     = "accepted: " + faults.CrashSyntax
	opAccepted        = "accepted: oQUEUE.INDEX like o3.7"
	refAccepted       = "accepted: " + faults.RefSyntax
)

// Goal: a node set prints as it was written and parses back, and a bad one
// is refused with the offending name and the accepted forms.
// Method: table of valid inputs through checkRoundTrip, table of invalid
// inputs (bad names, leading zeros, node 0, empty parts) through checkInvalid.
func TestParseNodeSet(t *testing.T) {
	valid := []validCase{
		{in: "c1"}, {in: "s2"}, {in: "c1,s2"}, {in: "clients"}, {in: "servers"},
		{in: "*"}, {in: "c10,s999"}, {in: "clients,s1"}, {in: "c10000"},
		{in: "db"}, {in: "kv,gateway,queue"}, {in: "services"}, {in: "servers,db"},
	}
	for _, c := range valid {
		t.Run(c.in, func(t *testing.T) { checkRoundTrip(t, faults.ParseNodeSet, c) })
	}
	invalid := []invalidCase{
		{in: "", why: []string{"empty node set", nodeAccepted}},
		{in: "x1", why: []string{`bad node "x1"`, nodeAccepted}},
		{in: "c0", why: []string{`bad node "c0"`, nodeAccepted}},
		{in: "c01", why: []string{`bad node "c01"`, nodeAccepted}},
		{in: "c", why: []string{`bad node "c"`, nodeAccepted}},
		{in: "s-1", why: []string{`bad node "s-1"`, nodeAccepted}},
		{in: "c+1", why: []string{`bad node "c+1"`, nodeAccepted}},
		{in: "C1", why: []string{`bad node "C1"`, nodeAccepted}},
		{in: "client", why: []string{`bad node "client"`, nodeAccepted}},
		{in: "c1,", why: []string{`bad node ""`, nodeAccepted}},
		{in: ",c1", why: []string{`bad node ""`, nodeAccepted}},
		{in: "c1,,s1", why: []string{`bad node ""`, nodeAccepted}},
		{in: "c1, s1", why: []string{`bad node " s1"`, nodeAccepted}},
		{in: "c99999999999999999999", why: []string{`bad node "c99999999999999999999"`, nodeAccepted}},
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseNodeSet, c) })
	}
}

// Goal: a link rule prints in the syntax it was written in (durations and
// rates in their shortest form) and parses back into the same rule; a bad
// rule is refused naming what is wrong and the rule syntax.
// Method: round trips of every field and of node-set forms, then a table of
// invalid rules: missing separators, unknown fields, rates outside [0, 1] or
// NaN, bad nodes, bad delays.
func TestParseLinkRule(t *testing.T) {
	valid := []validCase{
		{in: "clients-s2:drop-response=0.5;delay=const:20ms"},
		{in: "*-*:drop-request=0"},
		{in: "c1,c2-servers:duplicate=1;reset=0.25"},
		{in: "s1-s2:delay=lognormal:5ms,0.5"},
		{in: "clients-servers:delay=exp:200ms"},
		{in: "c1-s1:delay=uniform:1ms..10ms;drop-request=0.1;drop-response=0.2;duplicate=0.3;reset=0.4"},
		{in: "c1-s1:reset=1;reset=0"}, // later assignments win when applied
		{in: "c1-s1:delay=5ms", canonical: "c1-s1:delay=const:5ms"},
		{in: "c1-s1:delay=const:1500us", canonical: "c1-s1:delay=const:1.5ms"},
		{in: "c1-s1:reset=1e-1", canonical: "c1-s1:reset=0.1"},
		{in: "c1-s1:duplicate=.5", canonical: "c1-s1:duplicate=0.5"},
	}
	for _, c := range valid {
		t.Run(c.in, func(t *testing.T) { checkRoundTrip(t, faults.ParseLinkRule, c) })
	}

	t.Run("fields", func(t *testing.T) {
		r, err := faults.ParseLinkRule("clients-s2:drop-response=0.5;delay=const:20ms")
		require.NoError(t, err, rerun(t))
		assert.Equal(t, faults.LinkRule{
			A: faults.NodeSet{"clients"}, B: faults.NodeSet{"s2"},
			Assign: []faults.Assign{
				{Field: "drop-response", Rate: 0.5},
				{Field: "delay", Delay: sim.Const(20 * time.Millisecond)},
			},
		}, r, rerun(t))
		l := faults.Link{Delay: sim.Const(time.Millisecond), DropResponseRate: 0.1, ResetRate: 0.2}
		r.Apply(&l)
		assert.Equal(t, faults.Link{Delay: sim.Const(20 * time.Millisecond), DropResponseRate: 0.5, ResetRate: 0.2}, l,
			"Apply sets the assigned fields only\n%s", rerun(t))
	})

	invalid := []invalidCase{
		{in: "", why: []string{"missing ':'", linkAccepted}},
		{in: "clients-s2", why: []string{"missing ':'", linkAccepted}},
		{in: "clientss2:reset=0.1", why: []string{"missing '-'", linkAccepted}},
		{in: "clients-s2:", why: []string{`field "" has no '='`, linkAccepted}},
		{in: "clients-s2:reset", why: []string{`field "reset" has no '='`, linkAccepted}},
		{in: "clients-s2:reset=0.1;", why: []string{`field "" has no '='`, linkAccepted}},
		{in: "clients-s2:bogus=1", why: []string{`unknown field "bogus"`, linkAccepted}},
		{in: "clients-s2:Reset=0.1", why: []string{`unknown field "Reset"`, linkAccepted}},
		{in: "clients-s2:reset=-0.1", why: []string{`rate "-0.1" is not a probability in [0, 1]`, linkAccepted}},
		{in: "clients-s2:reset=1.5", why: []string{`rate "1.5" is not a probability in [0, 1]`, linkAccepted}},
		{in: "clients-s2:reset=NaN", why: []string{`rate "NaN" is not a probability in [0, 1]`, linkAccepted}},
		{in: "clients-s2:reset=+Inf", why: []string{`rate "+Inf" is not a probability in [0, 1]`, linkAccepted}},
		{in: "clients-s2:duplicate=abc", why: []string{`rate "abc" is not a probability in [0, 1]`, linkAccepted}},
		{in: "x1-s2:reset=0.1", why: []string{`bad node "x1"`, linkAccepted}},
		{in: "clients-c0:reset=0.1", why: []string{`bad node "c0"`, linkAccepted}},
		{in: "clients-c01:reset=0.1", why: []string{`bad node "c01"`, linkAccepted}},
		{in: "-s2:reset=0.1", why: []string{"empty node set", linkAccepted}},
		{in: "clients-s2:delay=lognormal:5ms", why: []string{"lognormal needs MEDIAN,SIGMA", linkAccepted}},
		{in: "clients-s2:delay=-5ms", why: []string{`negative duration "-5ms"`, linkAccepted}},
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseLinkRule, c) })
	}
}

// Goal: a partition prints as A|B@FROM..TO with Go durations and parses
// back; a bad one is refused naming what is wrong and the syntax.
// Method: round trips (including non-canonical durations, whose canonical
// form is time.Duration's), then invalid windows, negative times, TO not
// after FROM, bad nodes.
func TestParsePartition(t *testing.T) {
	valid := []validCase{
		{in: "clients|s1,s2@2s..5s"},
		{in: "c1|s1@0s..1s"},
		{in: "*|servers@1.5s..2s"},
		{in: "c1,c2|s3@1m0s..1h0m0s"},
		{in: "clients|s1@1500ms..2s", canonical: "clients|s1@1.5s..2s"},
		{in: "clients|s1@0..1s", canonical: "clients|s1@0s..1s"},
		{in: "clients|s1@60s..2m", canonical: "clients|s1@1m0s..2m0s"},
		{in: "clients|s1@0s...5s", canonical: "clients|s1@0s..500ms"},
	}
	for _, c := range valid {
		t.Run(c.in, func(t *testing.T) { checkRoundTrip(t, faults.ParsePartition, c) })
	}

	t.Run("fields", func(t *testing.T) {
		p, err := faults.ParsePartition("clients|s1,s2@2s..5s")
		require.NoError(t, err, rerun(t))
		assert.Equal(t, faults.Partition{
			A: faults.NodeSet{"clients"}, B: faults.NodeSet{"s1", "s2"},
			From: sim.Time(2 * time.Second), To: sim.Time(5 * time.Second),
		}, p, rerun(t))
	})

	invalid := []invalidCase{
		{in: "", why: []string{"missing '@'", partitionAccepted}},
		{in: "clients|s1", why: []string{"missing '@'", partitionAccepted}},
		{in: "clientss1@1s..2s", why: []string{"missing '|'", partitionAccepted}},
		{in: "clients|s1@1s", why: []string{"window needs FROM..TO", partitionAccepted}},
		{in: "clients|s1@1s-2s", why: []string{"window needs FROM..TO", partitionAccepted}},
		{in: "clients|s1@-1s..2s", why: []string{`negative time "-1s"`, partitionAccepted}},
		{in: "clients|s1@1s..-2s", why: []string{`negative time "-2s"`, partitionAccepted}},
		{in: "clients|s1@5s..2s", why: []string{"TO must be after FROM", partitionAccepted}},
		{in: "clients|s1@2s..2s", why: []string{"TO must be after FROM", partitionAccepted}},
		{in: "clients|s1@abc..2s", why: []string{`malformed time "abc"`, partitionAccepted}},
		{in: "clients|s1@1s..2", why: []string{`malformed time "2"`, partitionAccepted}},
		{in: "clients|s1@..2s", why: []string{`malformed time ""`, partitionAccepted}},
		{in: "clients|s1@1s..2s..3s", why: []string{`malformed time "2s..3s"`, partitionAccepted}},
		{in: "x1|s1@1s..2s", why: []string{`bad node "x1"`, partitionAccepted}},
		{in: "clients|c01@1s..2s", why: []string{`bad node "c01"`, partitionAccepted}},
		{in: "clients|@1s..2s", why: []string{"empty node set", partitionAccepted}},
		{in: "clients|s1|s2@1s..2s", why: []string{`bad node "s1|s2"`, partitionAccepted}},
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParsePartition, c) })
	}
}

// Goal: a crash prints as NODE@TIME+DOWNTIME (the default downtime made
// explicit) and parses back; a bad one is refused naming what is wrong and
// the syntax.
// Method: round trips with and without downtime, then invalid nodes (groups,
// "*", bad names), negative or malformed times and downtimes.
func TestParseCrash(t *testing.T) {
	valid := []validCase{
		{in: "s2@3s+1s"},
		{in: "c3@2s+500ms"},
		{in: "any@1.5s+1s"},
		{in: "s1@0s+1m0s"},
		{in: "any@1500ms", canonical: "any@1.5s+1s"},
		{in: "s2@3s", canonical: "s2@3s+1s"},
		{in: "s2@3000ms+2000ms", canonical: "s2@3s+2s"},
	}
	for _, c := range valid {
		name := c.in
		if name == "any@1500ms" {
			name = "any" // the name the brief's example command uses
		}
		t.Run(name, func(t *testing.T) { checkRoundTrip(t, faults.ParseCrash, c) })
	}

	t.Run("default-downtime", func(t *testing.T) {
		c, err := faults.ParseCrash("any@1500ms")
		require.NoError(t, err, rerun(t))
		assert.Equal(t, faults.Crash{Node: "any", At: sim.Time(1500 * time.Millisecond), Downtime: faults.DefaultDowntime}, c, rerun(t))
	})

	invalid := []invalidCase{
		{in: "", why: []string{"missing '@'", crashAccepted}},
		{in: "s2", why: []string{"missing '@'", crashAccepted}},
		{in: "@1s", why: []string{`bad node ""`, crashAccepted}},
		{in: "x1@1s", why: []string{`bad node "x1"`, crashAccepted}},
		{in: "c0@1s", why: []string{`bad node "c0"`, crashAccepted}},
		{in: "s01@1s", why: []string{`bad node "s01"`, crashAccepted}},
		{in: "*@1s", why: []string{`bad node "*"`, crashAccepted}},
		{in: "clients@1s", why: []string{`bad node "clients"`, crashAccepted}},
		{in: "servers@1s", why: []string{`bad node "servers"`, crashAccepted}},
		{in: "Any@1s", why: []string{`bad node "Any"`, crashAccepted}},
		{in: "s2@-1s", why: []string{`negative time "-1s"`, crashAccepted}},
		{in: "s2@abc", why: []string{`malformed time "abc"`, crashAccepted}},
		{in: "s2@", why: []string{`malformed time ""`, crashAccepted}},
		{in: "s2@3", why: []string{`malformed time "3"`, crashAccepted}},
		{in: "s2@3s+0s", why: []string{`malformed downtime "0s", want a duration > 0`, crashAccepted}},
		{in: "s2@3s+-1s", why: []string{`malformed downtime "-1s"`, crashAccepted}},
		{in: "s2@3s+", why: []string{`malformed downtime ""`, crashAccepted}},
		{in: "s2@3s+abc", why: []string{`malformed downtime "abc"`, crashAccepted}},
		{in: "s2@3s+1s+1s", why: []string{`malformed downtime "1s+1s"`, crashAccepted}},
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseCrash, c) })
	}
}

// Goal: an operation id prints as oQUEUE.INDEX and parses back; anything
// else, including non-canonical numbers that would not print back as
// written, is refused with the accepted form.
// Method: round trips at the bounds, then a table of malformed ids.
func TestParseOpID(t *testing.T) {
	valid := []validCase{
		{in: "o1.1"}, {in: "o3.7"}, {in: "o10000.1"}, {in: "o32767.32767"},
	}
	for _, c := range valid {
		t.Run(c.in, func(t *testing.T) { checkRoundTrip(t, api.ParseOpID, c) })
	}
	t.Run("fields", func(t *testing.T) {
		o, err := api.ParseOpID("o3.7")
		require.NoError(t, err, rerun(t))
		assert.Equal(t, api.OpID{Queue: 3, Index: 7}, o, rerun(t))
	})

	bad := func(in string) []string { return []string{fmt.Sprintf("bad operation %q", in), opAccepted} }
	invalid := []invalidCase{
		{in: "", why: bad("")},
		{in: "o", why: bad("o")},
		{in: "3.7", why: bad("3.7")},
		{in: "o3", why: bad("o3")},
		{in: "o3.", why: bad("o3.")},
		{in: "o.7", why: bad("o.7")},
		{in: "o0.1", why: bad("o0.1")},
		{in: "o1.0", why: bad("o1.0")},
		{in: "o-1.1", why: bad("o-1.1")},
		{in: "o1.-1", why: bad("o1.-1")},
		{in: "o3.7.1", why: bad("o3.7.1")},
		{in: "oo3.7", why: bad("oo3.7")},
		{in: "O3.7", why: bad("O3.7")},
		{in: "o3,7", why: bad("o3,7")},
		{in: " o3.7", why: bad(" o3.7")},
		{in: "o99999.1", why: bad("o99999.1")},
		{in: "o1.99999", why: bad("o1.99999")},
		{in: "o03.7", why: bad("o03.7")},
		{in: "o3.07", why: bad("o3.07")},
		{in: "o+3.7", why: bad("o+3.7")},
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.in, func(t *testing.T) { checkInvalid(t, api.ParseOpID, c) })
	}
}

// Goal: a message reference prints as CALLER/oQ.I/aN[/copy] and parses back;
// a malformed one is refused with the accepted form.
// Method: round trips with and without /copy, then a table of malformed refs,
// including callers that are groups rather than one node and attempt numbers
// that do not fit the int32 field.
func TestParseRef(t *testing.T) {
	valid := []validCase{
		{in: "c3/o3.7/a2"},
		{in: "c3/o3.7/a2/copy"},
		{in: "c10000/o10000.32767/a1000"},
		{in: "c3/o3.7/a2/db4"},
		{in: "c3/o3.7/a2/copy/gateway1"},
		{in: "c1/o1.1/a1/kv12"},
		{in: "s1/consumer/queue17"},
		{in: "s2/outbox-relay/db3"},
	}
	for _, c := range valid {
		t.Run(c.in, func(t *testing.T) { checkRoundTrip(t, faults.ParseRef, c) })
	}
	t.Run("service-fields", func(t *testing.T) {
		r, err := faults.ParseRef("s1/consumer/queue17")
		require.NoError(t, err, rerun(t))
		assert.Equal(t, faults.Ref{Caller: "s1", Worker: "consumer", Service: api.ServiceQueue, Call: 17}, r, rerun(t))
	})
	t.Run("fields", func(t *testing.T) {
		r, err := faults.ParseRef("c3/o3.7/a2/copy")
		require.NoError(t, err, rerun(t))
		assert.Equal(t, faults.Ref{Caller: "c3", Op: api.OpID{Queue: 3, Index: 7}, Attempt: 2, Copy: true}, r, rerun(t))
	})

	bad := func(in string) []string { return []string{fmt.Sprintf("bad message %q", in), refAccepted} }
	invalid := []invalidCase{
		{in: "", why: bad("")},
		{in: "c3", why: bad("c3")},
		{in: "c3/o3.7", why: bad("c3/o3.7")},
		{in: "c3/o3.7/2", why: bad("c3/o3.7/2")},
		{in: "c3/o3.7/a", why: bad("c3/o3.7/a")},
		{in: "c3/o3.7/a0", why: bad("c3/o3.7/a0")},
		{in: "c3/o3.7/a-1", why: bad("c3/o3.7/a-1")},
		{in: "c3/o3.7/a2/dup", why: bad("c3/o3.7/a2/dup")},
		{in: "c3/o3.7/a2/copy/x", why: bad("c3/o3.7/a2/copy/x")},
		{in: "c3/3.7/a2", why: bad("c3/3.7/a2")},
		{in: "c3//a2", why: bad("c3//a2")},
		{in: "/o3.7/a2", why: bad("/o3.7/a2")},
		{in: "x3/o3.7/a2", why: bad("x3/o3.7/a2")},
		{in: "c0/o3.7/a2", why: bad("c0/o3.7/a2")},
		{in: "c03/o3.7/a2", why: bad("c03/o3.7/a2")},
		{in: "*/o3.7/a2", why: bad("*/o3.7/a2")},
		{in: "clients/o3.7/a2", why: bad("clients/o3.7/a2")},
		{in: "c3/o3.7/a4294967297", why: bad("c3/o3.7/a4294967297")},
		{in: "c3/o3.7/a02", why: bad("c3/o3.7/a02")},
		{in: "c3/o3.7/a2/db0", why: bad("c3/o3.7/a2/db0")},
		{in: "c3/o3.7/a2/cache1", why: bad("c3/o3.7/a2/cache1")},
		{in: "c3/o3.7/a2/db1/copy", why: bad("c3/o3.7/a2/db1/copy")},
		{in: "s1/consumer", why: bad("s1/consumer")},
		{in: "c1/consumer/db1", why: bad("c1/consumer/db1")},
		{in: "s1/Consumer/db1", why: bad("s1/Consumer/db1")},
		{in: "s1/o1.1/a1", why: bad("s1/o1.1/a1")},
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseRef, c) })
	}
}

// Goal: every kind of fault prints as one line that ParseFault reads back
// into the same fault, and a malformed line is refused naming the line, what
// is wrong and what is accepted.
// Method: round trips of one line per kind (and non-canonical spellings with
// their canonical form), round trips of Fault values as a run records them,
// then a table of malformed lines.
func TestParseFault(t *testing.T) {
	valid := []validCase{
		{in: "drop-request c3/o3.7/a2 at=1.234567891s"},
		{in: "drop-request c3/o3.7/a2 at=1.234567s"},
		{in: "drop-response c1/o1.1/a1 at=0.15035s"},
		{in: "duplicate-request c3/o3.7/a2 at=1.234567s extra=3.2ms"},
		{in: "duplicate-response c2/o2.1/a3/copy at=2.325103s extra=2.751193ms"},
		{in: "reset c1/o1.2/a1 at=0s"},
		{in: "partition clients|s1@2s..5s"},
		{in: "crash s2@3s+1s"},
		{in: "crash any@1.5s+1s"},
		{in: "client-crash c3@2s+500ms"},
		{in: "drop-request c3/o3.7/a2", canonical: "drop-request c3/o3.7/a2 at=0s"},
		{in: "drop-request   c3/o3.7/a2\tat=1s", canonical: "drop-request c3/o3.7/a2 at=1s"},
		{in: "duplicate-request c1/o1.1/a1 at=1s", canonical: "duplicate-request c1/o1.1/a1 at=1s extra=0s"},
		{in: "crash s2@3s", canonical: "crash s2@3s+1s"},
		{in: "crash kv@3s+500ms"},
		{in: "db-drop-connection c1/o1.1/a1/db2 at=1.5s"},
		{in: "db-lost-commit-ack s1/consumer/db7 at=2s"},
		{in: "gateway-timeout c1/o1.1/a1/gateway1 at=1s"},
		{in: "gateway-500 c1/o1.1/a1/copy/gateway2 at=1s"},
		{in: "drop-response c1/o1.1/a1/kv3 at=1s"},
		{in: "crash-at s1:after-charge#3+1s at=4.5s"},
		{in: "crash-at s1:after-charge at=1s", canonical: "crash-at s1:after-charge#1+1s at=1s"},
		{in: "pause s2@3s+1m35s"},
		{in: "pause c1@1s+2s"},
		{in: "kv-failover kv@5s"},
		// Anchored to a step (idemsim explore writes them).
		{in: "crash s1@1.25s+1s in=c1/o1.1/a1 after=2"},
		{in: "crash s1@1.25s+1s in=c2/o1.1/a1/copy after=0"},
		{in: "crash s1@1.25s+1s after=2 in=c1/o1.1/a1", canonical: "crash s1@1.25s+1s in=c1/o1.1/a1 after=2"},
		{in: "pause s2@3s+2s in=c1/o1.1/a2 after=1"},
		{in: "crash kv@3s+1s before=c1/o1.1/a1/kv2"},
	}
	for _, c := range valid {
		t.Run(c.in, func(t *testing.T) { checkRoundTrip(t, faults.ParseFault, c) })
	}

	ref := faults.Ref{Caller: "c3", Op: api.OpID{Queue: 3, Index: 7}, Attempt: 2}
	values := []struct {
		name string
		f    faults.Fault
	}{
		{name: "drop-request", f: faults.Fault{Kind: faults.DropRequest, At: sim.Time(1234567 * time.Microsecond), Msg: ref}},
		{name: "duplicate-response", f: faults.Fault{Kind: faults.DuplicateResponse, At: sim.Time(2 * time.Second), Msg: ref, Extra: 3200 * time.Microsecond}},
		{name: "partition", f: faults.Fault{Kind: faults.PartitionFault, At: sim.Time(2 * time.Second), Partition: faults.Partition{
			A: faults.NodeSet{"clients"}, B: faults.NodeSet{"s1"}, From: sim.Time(2 * time.Second), To: sim.Time(5 * time.Second)}}},
		{name: "crash", f: faults.Fault{Kind: faults.CrashFault, At: sim.Time(3 * time.Second), Crash: faults.Crash{Node: "s2", At: sim.Time(3 * time.Second), Downtime: time.Second}}},
		{name: "client-crash", f: faults.Fault{Kind: faults.ClientCrashFault, At: sim.Time(2 * time.Second), Crash: faults.Crash{Node: "c3", At: sim.Time(2 * time.Second), Downtime: 500 * time.Millisecond}}},
		{name: "crash-nanoseconds", f: faults.Fault{Kind: faults.CrashFault, At: sim.Time(1234567891), Crash: faults.Crash{Node: "s2", At: sim.Time(1234567891), Downtime: 1234567891}}},
		// Virtual time is in nanoseconds and fault times recorded in a run
		// carry sub-microsecond digits (seed 7, 4 clients x 5 ops,
		// --drop-response 0.3: all 8 faults do, e.g. at 178536208ns).
		{name: "drop-request-nanoseconds", f: faults.Fault{Kind: faults.DropRequest, At: sim.Time(1234567891), Msg: ref}},
		{name: "crash-anchored", f: faults.Fault{Kind: faults.CrashFault, At: sim.Time(1234567891), Crash: faults.Crash{Node: "s2", At: sim.Time(1234567891), Downtime: time.Second}, Anchor: ref, After: 3}},
		{name: "kv-anchored", f: faults.Fault{Kind: faults.CrashFault, At: sim.Time(3 * time.Second), Crash: faults.Crash{Node: "kv", At: sim.Time(3 * time.Second), Downtime: time.Second}, Anchor: faults.Ref{Caller: "c3", Op: api.OpID{Queue: 3, Index: 7}, Attempt: 2, Service: api.ServiceKV, Call: 2}}},
	}
	for _, v := range values {
		t.Run("value/"+v.name, func(t *testing.T) {
			back, err := parse(t, faults.ParseFault, v.f.String())
			require.NoError(t, err, "line %q\n%s", v.f.String(), rerun(t))
			assert.Equal(t, v.f, back, "ParseFault(%q) != the fault that printed it\n%s", v.f.String(), rerun(t))
		})
	}

	inLine := func(line string, why ...string) []string {
		return append([]string{fmt.Sprintf("fault %q", line)}, why...)
	}
	invalid := []invalidCase{
		{in: "", why: inLine("", "want KIND ARGS")},
		{in: "crash", why: inLine("crash", "want KIND ARGS")},
		{in: "drop-request c1/o1.1/a0 at=1s", why: inLine("drop-request c1/o1.1/a0 at=1s", `bad message "c1/o1.1/a0"`, refAccepted)},
		{in: "drop-request x1/o1.1/a1 at=1s", why: inLine("drop-request x1/o1.1/a1 at=1s", `bad message "x1/o1.1/a1"`, refAccepted)},
		{in: "drop-request c1/o1.1/a1 at=-1s", why: inLine("drop-request c1/o1.1/a1 at=-1s", `bad field "at=-1s"`, "accepted: at=TIME")},
		{in: "drop-request c1/o1.1/a1 at=abc", why: inLine("drop-request c1/o1.1/a1 at=abc", `bad field "at=abc"`, "accepted: at=TIME")},
		{in: "drop-request c1/o1.1/a1 when=1s", why: inLine("drop-request c1/o1.1/a1 when=1s", `bad field "when=1s"`, "accepted: at=TIME")},
		{in: "drop-request c1/o1.1/a1 1s", why: inLine("drop-request c1/o1.1/a1 1s", `bad field "1s"`, "accepted: at=TIME")},
		{in: "duplicate-request c1/o1.1/a1 at=1s extra=-1ms", why: inLine("duplicate-request c1/o1.1/a1 at=1s extra=-1ms", `bad field "extra=-1ms"`, "accepted: at=TIME, extra=DURATION")},
		{in: "crash s1@1s+1s in=c1/o1.1/a1", why: inLine("crash s1@1s+1s in=c1/o1.1/a1", "after= goes with in=", faults.AnchorSyntax)},
		{in: "crash s1@1s+1s in=c1/o1.1/a1 after=-1", why: inLine("crash s1@1s+1s in=c1/o1.1/a1 after=-1", `field "after=-1"`, faults.AnchorSyntax)},
		{in: "crash kv@1s+1s in=c1/o1.1/a1 after=1", why: inLine("crash kv@1s+1s in=c1/o1.1/a1 after=1", "named server", faults.AnchorSyntax)},
		{in: "crash any@1s+1s in=c1/o1.1/a1 after=1", why: inLine("crash any@1s+1s in=c1/o1.1/a1 after=1", "named server", faults.AnchorSyntax)},
		{in: "crash s1@1s+1s before=c1/o1.1/a1/kv1", why: inLine("crash s1@1s+1s before=c1/o1.1/a1/kv1", "before= anchors a crash of kv", faults.AnchorSyntax)},
		{in: "crash kv@1s+1s before=c1/o1.1/a1/db1", why: inLine("crash kv@1s+1s before=c1/o1.1/a1/db1", "wrong kind of message", faults.AnchorSyntax)},
		{in: "pause s1@1s+1s before=c1/o1.1/a1/kv1", why: inLine("pause s1@1s+1s before=c1/o1.1/a1/kv1", "before= anchors a crash of kv", faults.AnchorSyntax)},
		{in: "client-crash c1@1s+1s in=c1/o1.1/a1 after=1", why: inLine("client-crash c1@1s+1s in=c1/o1.1/a1 after=1", "want client-crash")},
		{in: "crash s1@1s+1s when=2s", why: inLine("crash s1@1s+1s when=2s", `bad field "when=2s"`, faults.AnchorSyntax)},
		{in: "partition clients|s1@2s..5s extra", why: inLine("partition clients|s1@2s..5s extra", "want partition", faults.PartitionSyntax)},
		{in: "partition clients|s1@5s..2s", why: inLine("partition clients|s1@5s..2s", "TO must be after FROM", partitionAccepted)},
		{in: "crash s2@3s+1s now", why: inLine("crash s2@3s+1s now", "want crash", faults.CrashSyntax)},
		{in: "crash s2@-1s", why: inLine("crash s2@-1s", `negative time "-1s"`, crashAccepted)},
		{in: "client-crash clients@1s", why: inLine("client-crash clients@1s", `bad node "clients"`, crashAccepted)},
		{in: "bogus c1/o1.1/a1 at=1s", why: inLine("bogus c1/o1.1/a1 at=1s", `unknown kind "bogus"`, "accepted", "drop-request", "client-crash")},
		{in: "drop-request c1/o1.1/a1 at=1s extra=2ms", why: inLine("drop-request c1/o1.1/a1 at=1s extra=2ms", `"extra=2ms"`, "duplicate")},
		{in: "crash c1@1s", why: inLine("crash c1@1s", `"c1"`, "server")},
		{in: "client-crash s1@1s", why: inLine("client-crash s1@1s", `"s1"`, "client")},
		{in: "db-drop-connection c1/o1.1/a1 at=1s", why: inLine("db-drop-connection c1/o1.1/a1 at=1s", "hits a database call")},
		{in: "gateway-500 c1/o1.1/a1/db1 at=1s", why: inLine("gateway-500 c1/o1.1/a1/db1 at=1s", "hits a gateway call")},
		{in: "duplicate-request c1/o1.1/a1/db1 at=1s", why: inLine("duplicate-request c1/o1.1/a1/db1 at=1s", "not service calls")},
		{in: "crash-at any:after-charge~0.1 at=1s", why: inLine("crash-at any:after-charge~0.1 at=1s", "names its server and occurrence")},
		{in: "crash-at s1 at=1s", why: inLine("crash-at s1 at=1s", "missing ':'", faults.CrashPointSyntax)},
		{in: "pause s1@1s", why: inLine("pause s1@1s", "missing '+LENGTH'", faults.PauseSyntax)},
		{in: "kv-failover s1@1s", why: inLine("kv-failover s1@1s", "targets kv")},
		{in: "crash db@1s", why: inLine("crash db@1s", `"db"`, "kv")},
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseFault, c) })
	}
}

// Goal: a fault list reads back whatever a run wrote, ignoring comments,
// blank lines, indentation and CRLF, and a bad line is reported by its line
// number (counting blank and comment lines) with the parser's reason.
// Method: one annotated list compared to the faults it holds, a list printed
// with Fault.String read back, then a table of broken lists.
func TestReadFaults(t *testing.T) {
	t.Run("comments", func(t *testing.T) {
		in := "# faults of seed 7\n" +
			"\n" +
			"drop-request c3/o3.7/a2 at=1.234567s   # the first attempt's request\n" +
			"   duplicate-response c1/o1.1/a1/copy at=2.000000s extra=3.2ms\r\n" +
			"\t\n" +
			"partition clients|s1@2s..5s\n" +
			"crash s2@3s+1s\n" +
			"client-crash c3@2s+500ms # trailing comment"
		list, err := faults.ReadFaults(strings.NewReader(in))
		require.NoError(t, err, rerun(t))
		var got []string
		for _, f := range list {
			got = append(got, f.String())
		}
		assert.Equal(t, []string{
			"drop-request c3/o3.7/a2 at=1.234567s",
			"duplicate-response c1/o1.1/a1/copy at=2s extra=3.2ms",
			"partition clients|s1@2s..5s",
			"crash s2@3s+1s",
			"client-crash c3@2s+500ms",
		}, got, rerun(t))
	})

	t.Run("empty", func(t *testing.T) {
		list, err := faults.ReadFaults(strings.NewReader("# nothing fired\n\n"))
		require.NoError(t, err, rerun(t))
		assert.Empty(t, list, rerun(t))
	})

	t.Run("written-list", func(t *testing.T) {
		ref := faults.Ref{Caller: "c2", Op: api.OpID{Queue: 2, Index: 1}, Attempt: 3}
		want := []faults.Fault{
			{Kind: faults.DropResponse, At: sim.Time(150350 * time.Microsecond), Msg: ref},
			{Kind: faults.DuplicateRequest, At: sim.Time(3 * time.Second), Msg: ref, Extra: 4897289},
			{Kind: faults.Reset, At: sim.Time(4 * time.Second), Msg: faults.Ref{Caller: "c1", Op: ref.Op, Attempt: 1, Copy: true}},
			{Kind: faults.CrashFault, At: sim.Time(5 * time.Second), Crash: faults.Crash{Node: "any", At: sim.Time(5 * time.Second), Downtime: time.Second}},
		}
		var b strings.Builder
		for _, f := range want {
			b.WriteString(f.String() + "\n")
		}
		got, err := faults.ReadFaults(strings.NewReader(b.String()))
		require.NoError(t, err, rerun(t))
		assert.Equal(t, want, got, rerun(t))
	})

	broken := []struct {
		name, in, line, why string
	}{
		{name: "first-line", in: "bogus c1/o1.1/a1\n", line: "line 1: ", why: `unknown kind "bogus"`},
		{name: "after-comments", in: "# list\n\n  # more\ncrash s2\n", line: "line 4: ", why: "missing '@'"},
		{name: "after-faults", in: "crash s1@1s\ndrop-request c1/o1.1/a0 at=1s\n", line: "line 2: ", why: `bad message "c1/o1.1/a0"`},
		{name: "crlf", in: "crash s1@1s\r\n\r\npartition clients|s1@2s..1s\r\n", line: "line 3: ", why: "TO must be after FROM"},
	}
	for _, c := range broken {
		t.Run("broken/"+c.name, func(t *testing.T) {
			list, err := faults.ReadFaults(strings.NewReader(c.in))
			require.Error(t, err, "got %v\n%s", list, rerun(t))
			assert.True(t, strings.HasPrefix(err.Error(), c.line), "error %q should start with %q\n%s", err, c.line, rerun(t))
			assert.Contains(t, err.Error(), c.why, rerun(t))
			assert.Nil(t, list, rerun(t))
		})
	}

	t.Run("read-error", func(t *testing.T) {
		boom := errors.New("disk on fire")
		_, err := faults.ReadFaults(iotest.ErrReader(boom))
		assert.ErrorIs(t, err, boom, rerun(t))
	})
}

// Goal: crash points and pauses print as they parse, and a bad one names
// what is wrong and the accepted form.
// Method: round trips of canonical and short forms, then malformed specs.
func TestParseCrashPointAndPause(t *testing.T) {
	points := []validCase{
		{in: "s1:after-charge#1+1s"},
		{in: "s1:after-charge", canonical: "s1:after-charge#1+1s"},
		{in: "s1:after-charge#3+2s"},
		{in: "any:before-commit~0.1+1s"},
		{in: "any:before-commit~0.1", canonical: "any:before-commit~0.1+1s"},
	}
	for _, c := range points {
		t.Run("point/"+c.in, func(t *testing.T) { checkRoundTrip(t, faults.ParseCrashPoint, c) })
	}
	badPoints := []invalidCase{
		{in: "after-charge", why: []string{"missing ':'", faults.CrashPointSyntax}},
		{in: "c1:after-charge", why: []string{`bad server "c1"`, faults.CrashPointSyntax}},
		{in: "s1:After", why: []string{`bad point name "After"`}},
		{in: "s1:after-charge#0", why: []string{`bad occurrence "0"`}},
		{in: "s1:after-charge~1.5", why: []string{`bad probability "1.5"`}},
		{in: "s1:after-charge~0", why: []string{`bad probability "0"`}},
		{in: "s1:after-charge+0s", why: []string{"malformed downtime"}},
		{in: "any:after-charge#2", why: []string{"#N needs one server"}},
	}
	for _, c := range badPoints {
		t.Run("point-invalid/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParseCrashPoint, c) })
	}
	pauses := []validCase{{in: "s2@3s+1m35s"}, {in: "c1@0s+10ms"}, {in: "s2@3s+95s", canonical: "s2@3s+1m35s"}}
	for _, c := range pauses {
		t.Run("pause/"+c.in, func(t *testing.T) { checkRoundTrip(t, faults.ParsePause, c) })
	}
	badPauses := []invalidCase{
		{in: "s2@3s", why: []string{"missing '+LENGTH'", faults.PauseSyntax}},
		{in: "kv@3s+1s", why: []string{"pause targets a server", faults.PauseSyntax}},
		{in: "any@3s+1s", why: []string{"pause targets a server", faults.PauseSyntax}},
		{in: "s2@x+1s", why: []string{"malformed time", faults.PauseSyntax}},
	}
	for _, c := range badPauses {
		t.Run("pause-invalid/"+c.in, func(t *testing.T) { checkInvalid(t, faults.ParsePause, c) })
	}
}

// Goal: a replay reports exactly the listed faults that did not fire,
// matching by identity whatever the time a fault was logged at.
// Method: a list of three, a log holding two of them at other times.
func TestUnfired(t *testing.T) {
	mustParse := func(line string) faults.Fault {
		f, err := faults.ParseFault(line)
		require.NoError(t, err, rerun(t))
		return f
	}
	want := []faults.Fault{
		mustParse("drop-request c1/o1.1/a1 at=1s"),
		mustParse("crash s1@2s+1s"),
		mustParse("crash-at s1:after-charge#2+1s at=3s"),
	}
	fired := []faults.Fault{mustParse("drop-request c1/o1.1/a1 at=1.5s"), mustParse("crash-at s1:after-charge#2+1s at=7s")}
	got := faults.Unfired(want, fired)
	require.Len(t, got, 1, rerun(t))
	assert.Equal(t, "crash s1@2s+1s", got[0].String(), rerun(t))
}
