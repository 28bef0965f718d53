package claims_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/shrink"
)

// shrunkFile is a scenario file as `idemsim shrink --max-runs 40
// --strategy naive --drop-response 0.2` writes it (its timeline cut).
const shrunkFile = `# Shrunk by idemsim shrink in 41 runs, keeping the duplicate, from
#   idemsim run --strategy naive --drop-response 0.2
# (196 faults, 16 clients, 3 servers, 50 ops per client, deadline 24h0m0s) to 1 fault, 1 client, 1 server, 1 op per client, deadline 24h0m0s.
# Replay: idemsim run --scenario-file THIS-FILE, or
#   idemsim run --strategy naive --think const:0s --delay const:5ms --service-delay 'const:250µs' --service-time const:2ms --gateway-time const:200ms --clients 1 --workers-per-op 1 --ops 1 --servers 1 --deadline 24h0m0s --fault 'drop-response c1/o1.1/a1 at=0.0075s' --trace
run
--strategy naive --think const:0s --delay const:5ms
--service-delay 'const:250µs' --service-time const:2ms
--gateway-time const:200ms --clients 1 --workers-per-op 1 --ops 1
--servers 1 --deadline 24h0m0s
--fault 'drop-response c1/o1.1/a1 at=0.0075s'
--trace
----
----
   0.000000s  c1 create o1.1/a1 key=k-ec7e7baf0e51 via balancer to s1

verdict    DUPLICATE 1  lost 0  stuck 0  wrong-answer 0  unconfirmed 0  orphan-charge 0
----
----
`

// runFileSeeds are scenario files of one run: shrink's output, each run
// directive of cli/testdata/scenarios on its own, and damaged
// ones (issue 16: a flag without its value, a line past 64 KB, an
// unterminated quote).
func runFileSeeds(t testing.TB) []string {
	seeds := []string{
		shrunkFile,
		"run\n--strategy naive\n----\n",
		"run\n--clients\n----\n",
		"run\n--fault 'drop-response c1/o1.1/a1\n----\n",
		"# " + strings.Repeat("x", 70_000) + "\nrun\n--seed 1\n----\n",
		"run\n--strategy naive\n----\n----\nno end",
		"run\n--seed 1\n----\nrun\n--seed 2\n----\n",
		"run scenario=x\n\n----\n", "# only a comment\n", "",
	}
	files, err := filepath.Glob(filepath.Join("..", "cmd", "idemsim", "testdata", "scenarios", "*.txt"))
	require.NoError(t, err)
	for _, name := range files {
		text, err := os.ReadFile(name)
		require.NoError(t, err)
		for _, block := range strings.Split(string(text), "\nrun\n")[1:] {
			seeds = append(seeds, "run\n"+block)
		}
	}
	return seeds
}

// Goal: ParseRunFile (--scenario-file) never panics, refuses with one line
// naming the file and line, and what it accepts gives back the flags a
// scenario file lists; those flags written again as idemsim shrink writes
// them (shrink.Quote, in one directive) read back as the same flags. Method:
// fuzzing, seeded with runFileSeeds and testdata/fuzz/FuzzParseRunFile.
func FuzzParseRunFile(f *testing.F) {
	for _, s := range runFileSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rerun := testcmd.Rerun(t, "./claims")
		args, comment, err := claims.ParseRunFile("f.txt", text)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun)
			assert.True(t, strings.HasPrefix(err.Error(), "f.txt:"), "%v: the error names the file\n%s", err, rerun)
			return
		}
		require.NotEmpty(t, args, rerun)
		assert.NotContains(t, comment, "\n", rerun)
		for _, a := range args {
			if strings.Contains(a, "\n") {
				return // a newline may cut the directive: not checked here
			}
		}
		quoted := make([]string, len(args))
		for i, a := range args {
			quoted[i] = shrink.Quote(a)
		}
		line := strings.Join(quoted, " ")
		if line == "----" {
			return // the one flag "----" would end the directive it stands in
		}
		var b strings.Builder
		b.WriteString("# written again\nrun\n" + line + "\n----\n----\nthe output\n----\n----\n")
		back, _, err := claims.ParseRunFile("g.txt", b.String())
		require.NoError(t, err, "the flags %q written again:\n%s\n%s", args, b.String(), rerun)
		assert.Equal(t, args, back, "the flags written again read back otherwise\n%s", rerun)
	})
}

// Goal: Parse (a claim file: claims/scenarios, as idemsim claims and
// --scenario read them) never panics, refuses with one line naming the
// file, and what it accepts has a claim number and scenarios that each
// hold flags or a script under a valid name. Method: fuzzing, seeded with
// every embedded claim file and damaged ones, and
// testdata/fuzz/FuzzParseClaim.
func FuzzParseClaim(f *testing.F) {
	err := fs.WalkDir(claims.Files(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := fs.ReadFile(claims.Files(), path)
		f.Add(string(text))
		return err
	})
	require.NoError(f, err)
	for _, s := range []string{
		"# Claim 1: x\n\nrun scenario=a\n--seed 1\n----\n",
		"# Claim 1: x\n\nrun scenario=a expect=duplicate,lost\n--seed 1\n----\n",
		"# Claim 1: x\n\n# Holds: no.\nrun scenario=a expect=breaks\n--seed 1\n----\n",
		"# Claim 1: x\n\nsql scenario=a\nt1: select 1\n----\n",
		"# Claim 1: x\n\nrun scenario=a\n----\n----\nrun scenario=b\n",
		"# Claim 99999999999999999999: x\n\nrun scenario=a\n--seed 1\n----\n",
		"# Claim 1: x\n\nrun scenario=A\n--seed 1\n----\n", "no header\n", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rerun := testcmd.Rerun(t, "./claims")
		c, err := claims.Parse("c.txt", text)
		if err != nil {
			assert.NotContains(t, err.Error(), "\n", "a one-line error\n%s", rerun)
			assert.Contains(t, err.Error(), "c.txt", "the error names the file\n%s", rerun)
			return
		}
		assert.NotZero(t, c.N, rerun)
		require.NotEmpty(t, c.Scenarios, rerun)
		for _, s := range c.Scenarios {
			assert.NotEmpty(t, s.Name, rerun)
			assert.True(t, len(s.Args) > 0 || strings.TrimSpace(s.Script) != "", "scenario %s has neither flags nor a script\n%s", s.Name, rerun)
		}
	})
}
