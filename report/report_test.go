package report_test

import (
	"bytes"
	"errors"
	"html"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/report"
)

func rerun(t testing.TB) string { return testcmd.Rerun(t, "./report") }

// fixtures copies testdata/results (hand-made cells.json files in the
// results format) and the committed results/claims.txt into a fresh
// directory, and returns it.
func fixtures(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "results")
	require.NoError(t, os.CopyFS(dir, os.DirFS("testdata/results")), rerun(t))
	claims, err := os.ReadFile("../results/claims.txt")
	require.NoError(t, err, rerun(t))
	require.NoError(t, os.WriteFile(filepath.Join(dir, report.ClaimsFile), claims, 0o644), rerun(t))
	return dir
}

// snapshot maps every file under dir (by its path relative to dir) to its
// bytes.
func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		out[rel] = b
		return err
	}), rerun(t))
	return out
}

func names(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Goal: the same results give byte-identical pictures and page, so the
// committed files change only when the results do.
// Method: render every fixture figure twice in one process and compare;
// then build the whole report in two directories and compare every file.
func TestSameResultsSameFiles(t *testing.T) {
	xs, err := report.Load("testdata/results")
	require.NoError(t, err, rerun(t))
	require.Len(t, xs, 4, rerun(t))
	for _, x := range xs {
		for _, f := range report.Figures(x) {
			t.Run(x.Name+"/"+f.Name, func(t *testing.T) {
				rr := rerun(t)
				a, err := f.SVG()
				require.NoError(t, err, rr)
				b, err := f.SVG()
				require.NoError(t, err, rr)
				assert.True(t, bytes.Equal(a, b), "SVG differs between two renderings; %s", rr)
				assert.True(t, bytes.HasPrefix(a, []byte("<?xml")), rr)
				p, err := f.PNG()
				require.NoError(t, err, rr)
				q, err := f.PNG()
				require.NoError(t, err, rr)
				assert.True(t, bytes.Equal(p, q), "PNG differs between two renderings; %s", rr)
				assert.True(t, bytes.HasPrefix(p, []byte("\x89PNG")), rr)
			})
		}
	}
	t.Run("build", func(t *testing.T) {
		rr := rerun(t)
		one, two := fixtures(t), fixtures(t)
		_, err := report.Build(report.Options{Dir: one})
		require.NoError(t, err, rr)
		_, err = report.Build(report.Options{Dir: two})
		require.NoError(t, err, rr)
		a, b := snapshot(t, one), snapshot(t, two)
		require.Equal(t, names(a), names(b), rr)
		for _, n := range names(a) {
			assert.True(t, bytes.Equal(a[n], b[n]), "%s differs between two builds; %s", n, rr)
		}
	})
}

// Goal: the page shows every plot (as a PNG that exists, linking its SVG),
// the headline table computed from the isolation experiment's numbers,
// every claim, and the swarm's counterexample with its diagram and
// reproduce command; it refers to nothing outside the results directory.
// Method: build from the fixtures; the headline's cells are worked out by
// hand from testdata/results/isolation/cells.json (counts out of 1,280
// operations per cell).
func TestPage(t *testing.T) {
	rr := rerun(t)
	dir := fixtures(t)
	// A diagram left from an earlier build, of a strategy the swarm's
	// fixture does not catch.
	require.NoError(t, os.MkdirAll(filepath.Join(dir, report.CounterexamplesDir), 0o755), rr)
	require.NoError(t, os.WriteFile(filepath.Join(dir, report.CounterexamplesDir, "naive.png"), []byte("old"), 0o644), rr)
	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rr)
	raw, err := os.ReadFile(filepath.Join(dir, report.PageFile))
	require.NoError(t, err, rr)
	page := string(raw)

	t.Run("every-plot", func(t *testing.T) {
		rr := rerun(t)
		n := 0
		for _, x := range sum.Experiments {
			for _, f := range report.Figures(x) {
				for _, ext := range []string{".png", ".svg"} {
					rel := x.Name + "/" + f.Name + ext
					assert.Contains(t, page, `"`+rel+`"`, rr)
					assert.FileExists(t, filepath.Join(dir, rel), rr)
				}
				n++
			}
		}
		assert.Equal(t, n, strings.Count(page, "<figure>")-len(sum.Counterexamples), "one figure per plot; %s", rr)
		for _, want := range []string{"network-loss/rate-duplicate.png", "network-loss/rate-lost.png", "isolation/heat-duplicate.png",
			"isolation/heat-lost.png", "network-loss/latency-cdf.png", "crashes/rate-duplicate-serializable.png", "crashes/rate-wrong-answer-read-committed.png"} {
			assert.Contains(t, page, want, rr)
		}
	})

	t.Run("headline", func(t *testing.T) {
		rr := rerun(t)
		table := regexp.MustCompile(`(?s)<table id="headline-table">(.*?)</table>`).FindStringSubmatch(page)
		require.NotNil(t, table, rr)
		var got [][]string
		for _, row := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(table[1], -1) {
			var cells []string
			for _, c := range regexp.MustCompile(`<t[dh][^>]*>(.*?)</t[dh]>`).FindAllStringSubmatch(row[1], -1) {
				cells = append(cells, c[1])
			}
			got = append(got, cells)
		}
		// txn-check-insert: 30, 12 and 0 duplicates; select-for-update
		// loses 2 at serializable; 30/1280 = 0.0234, 12/1280 = 9.4e-3,
		// 2/1280 = 1.6e-3.
		assert.Equal(t, [][]string{
			{"strategy", "read-committed", "repeatable-read", "serializable"},
			{"txn-check-insert", "0.02 / 0", "9.4e-3 / 0", "0 / 0"},
			{"unique-409", "0 / 0", "0 / 0", "0 / 0"},
			{"select-for-update", "0 / 0", "0 / 0", "0 / 1.6e-3"},
		}, got, rr)
		assert.Contains(t, page, `<td class="dup" title="duplicate 30 of 1280 operations`, rr)
		assert.Contains(t, page, `<td class="lost" title="duplicate 0 of 1280 operations, 95% interval [0, 3.0e-3]; lost 2`, rr)
		require.NotNil(t, sum.Headline, rr)
	})

	t.Run("claims", func(t *testing.T) {
		rr := rerun(t)
		require.NotEmpty(t, sum.Claims, rr)
		for _, c := range sum.Claims {
			assert.Contains(t, page, `id="claim-`, rr)
			for _, s := range c.Results {
				assert.Contains(t, page, "idemsim run --scenario "+s.Name, rr)
			}
		}
		assert.Contains(t, page, "unique-409-key-reused</code> <span class=\"breaks\">breaks</span>: LOST 1", rr)
	})

	t.Run("counterexample", func(t *testing.T) {
		rr := rerun(t)
		require.Len(t, sum.Counterexamples, 1, rr)
		c := sum.Counterexamples[0]
		assert.Equal(t, "lost", string(c.Kind), rr)
		assert.Equal(t, 1, c.To.Clients, rr)
		assert.True(t, strings.HasPrefix(c.Command, "idemsim run --strategy early-409 --isolation read-committed --chaos 1 "), c.Command+"\n"+rr)
		assert.Contains(t, html.UnescapeString(page), "<pre>"+c.Command+"</pre>", rr)
		assert.Contains(t, page, `src="counterexamples/early-409.png"`, rr)
		assert.FileExists(t, filepath.Join(dir, "counterexamples", "early-409.png"), rr)
		assert.NoFileExists(t, filepath.Join(dir, "counterexamples", "early-409.svg"), "the page shows the PNG; "+rr)
		list, err := os.ReadFile(filepath.Join(dir, "counterexamples", "README.md"))
		require.NoError(t, err, rr)
		assert.Contains(t, string(list), "## early-409: lost", rr)
		assert.Contains(t, string(list), "```\n"+c.Command+"\n```", rr)
		assert.Contains(t, string(list), "](early-409.png)", rr)
		assert.NoFileExists(t, filepath.Join(dir, "counterexamples", "naive.png"), "a strategy the swarm no longer catches loses its diagram; "+rr)
	})

	t.Run("offline", func(t *testing.T) {
		rr := rerun(t)
		for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
			ref := m[1]
			if strings.HasPrefix(ref, "#") {
				continue
			}
			assert.NotContains(t, ref, ":", "a reference that leaves the directory: %s; %s", ref, rr)
			assert.FileExists(t, filepath.Join(dir, filepath.FromSlash(ref)), "%s\n%s", ref, rr)
		}
		assert.NotContains(t, page, "@import", rr)
		assert.NotContains(t, page, "url(", rr)
	})
}

// Goal: bad results are refused before anything is written, by an error
// that names the file and says what is wrong with it.
// Method: break one fixture at a time; Build must fail with an InputError
// naming the file, and the directory must be as it was.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name   string
		file   string // relative to the results directory
		text   string // written there ("" removes it)
		remove bool
		want   string
	}{
		{name: "truncated", file: "network-loss/cells.json", text: `{"experiment": "network-loss", "cells": [`, want: "not the cells.json format: unexpected EOF"},
		{name: "not-json", file: "network-loss/cells.json", text: "experiment,strategy\n", want: "not the cells.json format"},
		{name: "two-values", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","cells":[]} {}`, want: "more than one JSON value"},
		{name: "wrong-type", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","cells":[{"ops":"many"}]}`, want: "not the cells.json format"},
		{name: "no-cells", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","cells":[]}`, want: "field cells is missing or empty"},
		{name: "no-param", file: "network-loss/cells.json", text: `{"experiment":"network-loss","cells":[{}]}`, want: "field param is missing"},
		{name: "wrong-directory", file: "network-loss/cells.json", text: `{"experiment":"duplicates","param":"p","cells":[{"strategy":"naive","isolation":"read-committed","value":"0"}]}`, want: `experiment "duplicates" is in directory "network-loss"`},
		{name: "bad-level", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","cells":[{"strategy":"naive","isolation":"snapshot","value":"0"}]}`, want: `isolation "snapshot" is not a level`},
		{name: "rate-outside-interval", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","cells":[{"strategy":"naive","isolation":"read-committed","value":"0","ops":10,"lost":{"count":1,"rate":0.1,"low":0.2,"high":0.3}}]}`, want: "lost: {Count:1 Rate:0.1 Low:0.2 High:0.3} is not a count with its rate in [low, high]"},
		{name: "hist-not-increasing", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","cells":[{"strategy":"naive","isolation":"read-committed","value":"0","latency_hist":[[1,2],[1,3]]}]}`, want: "latency_hist[1] = [1 3]: want increasing upper bounds"},
		{name: "swarm-unknown-strategy", file: "swarm/cells.json", text: `{"experiment":"swarm","param":"p","cells":[{"strategy":"naive","isolation":"read-committed","value":"0"}],"swarm":{"failures":[{"strategy":"bogus","isolation":"read-committed","kind":"lost","seed":1}]}}`, want: `swarm.failures[0]: strategy "bogus"`},
		{name: "claims-missing", file: "claims.txt", remove: true, want: "no such file or directory (make results writes it)"},
		{name: "claims-stale", file: "claims.txt", text: "claim 1: x\n  unique-409-response-lost: no violation\n", want: "no outcome for scenario unique-409-charge-not-forwarded of claim 1: the file is stale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := rerun(t)
			dir := fixtures(t)
			path := filepath.Join(dir, filepath.FromSlash(tc.file))
			if tc.remove {
				require.NoError(t, os.Remove(path), rr)
			} else {
				require.NoError(t, os.WriteFile(path, []byte(tc.text), 0o644), rr)
			}
			before := snapshot(t, dir)
			_, err := report.Build(report.Options{Dir: dir})
			require.Error(t, err, rr)
			var ie *report.InputError
			assert.True(t, errors.As(err, &ie), "an InputError, got %T: %v; %s", err, err, rr)
			assert.Contains(t, err.Error(), path, "the error names the file; %s", rr)
			assert.Contains(t, err.Error(), tc.want, rr)
			assert.NotContains(t, err.Error(), "\n", "one line; %s", rr)
			assert.Equal(t, names(before), names(snapshot(t, dir)), "nothing written; %s", rr)
		})
	}
	t.Run("no-results-directory", func(t *testing.T) {
		rr := rerun(t)
		missing := filepath.Join(t.TempDir(), "none")
		_, err := report.Build(report.Options{Dir: missing})
		require.Error(t, err, rr)
		assert.Contains(t, err.Error(), missing, rr)
	})
	t.Run("read-missing-file", func(t *testing.T) {
		rr := rerun(t)
		missing := filepath.Join(t.TempDir(), "x", "cells.json")
		_, err := report.ReadExperiment(missing)
		require.Error(t, err, rr)
		assert.Contains(t, err.Error(), missing, rr)
	})
}

// Goal: a write that fails leaves no temporary file and no half-written
// file, whether it fails while writing or while renaming.
// Method: WriteFiles with a file whose directory is missing (fails while
// writing: nothing renamed) and with a target that is a directory (fails
// while renaming); then a whole Build whose page cannot be renamed into
// place. After each, no ".tmp-" file is left and earlier targets hold
// either their old bytes or their whole new ones.
func TestWritesAreAtomic(t *testing.T) {
	temps := func(t *testing.T, dir string) []string {
		var out []string
		for n := range snapshot(t, dir) {
			if strings.Contains(filepath.Base(n), ".tmp-") {
				out = append(out, n)
			}
		}
		return out
	}
	t.Run("fails-writing", func(t *testing.T) {
		rr := rerun(t)
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "a.svg"), []byte("old"), 0o644), rr)
		err := report.WriteFiles(report.File{Path: filepath.Join(dir, "a.svg"), Data: []byte("new")},
			report.File{Path: filepath.Join(dir, "missing", "b.png"), Data: []byte("new")})
		require.Error(t, err, rr)
		assert.Contains(t, err.Error(), filepath.Join(dir, "missing", "b.png"), rr)
		assert.Equal(t, map[string][]byte{"a.svg": []byte("old")}, snapshot(t, dir), rr)
	})
	t.Run("fails-renaming", func(t *testing.T) {
		rr := rerun(t)
		dir := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "b.png", "keep"), 0o755), rr)
		err := report.WriteFiles(report.File{Path: filepath.Join(dir, "a.svg"), Data: []byte("new")},
			report.File{Path: filepath.Join(dir, "b.png"), Data: []byte("new")})
		require.Error(t, err, rr)
		assert.Empty(t, temps(t, dir), rr)
		assert.Equal(t, map[string][]byte{"a.svg": []byte("new")}, snapshot(t, dir), "the file renamed before the failure is whole; %s", rr)
	})
	t.Run("build", func(t *testing.T) {
		rr := rerun(t)
		dir := fixtures(t)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, report.PageFile, "keep"), 0o755), rr)
		_, err := report.Build(report.Options{Dir: dir})
		require.Error(t, err, rr)
		assert.Empty(t, temps(t, dir), rr)
	})
}

// Goal: the Wilson interval is the textbook one.
// Method: a table of counts and their intervals to six places, worked out
// from the formula apart from this code.
func TestWilson(t *testing.T) {
	for _, tc := range []struct {
		count, n  int64
		low, high float64
	}{
		{0, 0, 0, 0},
		{0, 100, 0, 0.036993},
		{10, 100, 0.055229, 0.174366},
		{100, 100, 0.963007, 1},
		{1, 1280, 0.000138, 0.004412},
	} {
		t.Run("", func(t *testing.T) {
			lo, hi := report.Wilson(tc.count, tc.n)
			assert.InDelta(t, tc.low, lo, 1e-6, rerun(t))
			assert.InDelta(t, tc.high, hi, 1e-6, rerun(t))
			assert.False(t, math.IsNaN(lo) || math.IsNaN(hi), rerun(t))
		})
	}
}
