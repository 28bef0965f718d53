package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/report"
)

func rerun(t testing.TB) string { return testcmd.Rerun(t, "./report") }

// fixtures copies testdata/results (hand-made cells.json files in the
// results format and an edge-cases.md in the shape idemsim table writes)
// and the committed results/claims.txt into a fresh directory, and
// returns it.
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
		out[filepath.ToSlash(rel)] = b
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

// read is a file under dir as a string.
func read(t *testing.T, dir, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
	require.NoError(t, err, rerun(t))
	return string(b)
}

// tableRows are the cells' text of the HTML table with the given id, a
// row per row, the header first.
func tableRows(t *testing.T, page, id string) [][]string {
	t.Helper()
	table := regexp.MustCompile(`(?s)<table id="` + id + `">(.*?)</table>`).FindStringSubmatch(page)
	require.NotNil(t, table, "no table %s; %s", id, rerun(t))
	var got [][]string
	tag := regexp.MustCompile(`<[^>]*>`)
	for _, row := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(table[1], -1) {
		var cells []string
		for _, c := range regexp.MustCompile(`<t[dh][^>]*>(.*?)</t[dh]>`).FindAllStringSubmatch(row[1], -1) {
			cells = append(cells, html.UnescapeString(tag.ReplaceAllString(c[1], "")))
		}
		got = append(got, cells)
	}
	return got
}

// Goal: the same results give byte-identical pictures and pages, so the
// committed files change only when the results do.
// Method: render every fixture figure twice in one process and compare;
// then build the whole report in two directories and compare every file.
func TestSameResultsSameFiles(t *testing.T) {
	xs, err := report.Load("testdata/results")
	require.NoError(t, err, rerun(t))
	require.Len(t, xs, 5, rerun(t))
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

// Goal: the headline says exactly what it shows — the two-client rows of
// the isolation experiment, never pooled with the one-client rows — with
// every failure kind, and the fault mix in its caption, from the
// experiment's description.
// Method: HeadlineOf on the isolation fixture, whose cells are worked out
// by hand (counts out of 1,280 operations): unique-409 has a duplicate
// only with one client, so its two-client cells are 0; txn-check-insert
// at serializable shows stuck and unconfirmed operations with two
// clients. Then an experiment without the two-client rows is refused.
func TestHeadline(t *testing.T) {
	rr := rerun(t)
	x, err := report.ReadExperiment("testdata/results/isolation/cells.json")
	require.NoError(t, err, rr)
	h, err := report.HeadlineOf(x)
	require.NoError(t, err, rr)
	assert.Equal(t, "| strategy | read-committed | serializable |\n|---|---|---|\n"+
		"| `txn-check-insert` | **dup 0.023** | stuck 0.05, unconf 3.9e-3 |\n"+
		"| `unique-409` | 0 | 0 |\n"+
		"| `select-for-update` | 0 | **lost 1.6e-3** |\n", h.Markdown(), rr)
	assert.Contains(t, h.Caption, "`workers_per_op` = 2 (clients submitting each operation at once)", rr)
	assert.Contains(t, h.Caption, "5% of responses lost", "the fault mix, from the description; %s", rr)
	assert.Contains(t, h.Caption, "1,280 operations per cell", rr)
	assert.Contains(t, h.Notes, "No wrong answer or orphan charge in any cell.", rr)
	assert.Contains(t, h.Rows[0][2].Title, "stuck 64 (95% interval", rr)
	assert.True(t, strings.HasPrefix(h.Document(), h.Caption+"\n\n| strategy |"), rr)

	t.Run("no-two-client-rows", func(t *testing.T) {
		rr := rerun(t)
		y := *x
		y.Param = "isolation"
		_, err := report.HeadlineOf(&y)
		require.Error(t, err, rr)
		assert.Contains(t, err.Error(), "no rows with workers_per_op = 2", rr)
	})
}

// Goal: the index is a page a reader can use: the scorecard, the
// headline, the edge-case table and the claims, and links to a page per
// experiment and per strategy — every strategy of the registry — and to
// the counterexamples.
// Method: build from the fixtures and read the index: its tables by id,
// its links.
func TestIndexPage(t *testing.T) {
	rr := rerun(t)
	dir := fixtures(t)
	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rr)
	page := read(t, dir, report.PageFile)
	hrefs := map[string]bool{}
	for _, m := range regexp.MustCompile(`href="([^"#]*)`).FindAllStringSubmatch(page, -1) {
		hrefs[m[1]] = true
	}

	t.Run("headline", func(t *testing.T) {
		rr := rerun(t)
		assert.Equal(t, [][]string{
			{"strategy", "read-committed", "serializable"},
			{"txn-check-insert", "dup 0.023", "stuck 0.05, unconf 3.9e-3"},
			{"unique-409", "0", "0"},
			{"select-for-update", "0", "lost 1.6e-3"},
		}, tableRows(t, page, "headline-table"), rr)
		assert.Contains(t, page, `<td class="bad" title="txn-check-insert at read-committed, workers_per_op = 2: of 1280 operations, duplicate 30 (95% interval`, rr)
		require.NotNil(t, sum.Headline, rr)
	})
	t.Run("scorecard", func(t *testing.T) {
		rr := rerun(t)
		want := report.ScorecardOf(sum.Experiments)
		rows := tableRows(t, page, "scorecard-table")
		require.Len(t, rows, len(want.Rows)+1, rr)
		assert.Equal(t, want.Header, rows[0], rr)
		for i, r := range want.Rows {
			assert.Equal(t, r[0].Text, rows[i+1][0], rr)
		}
	})
	t.Run("edge-cases", func(t *testing.T) {
		rr := rerun(t)
		assert.Contains(t, page, `<td class="name"><a href="strategies/early-409.html"><code>early-409</code></a></td><td>ok</td><td class="bad">LOST 59%</td>`, rr)
		assert.Contains(t, page, "<li><b>B, network duplicate</b>: the network delivers the first request twice.</li>", rr)
		assert.NotContains(t, page, "Failing schedules", "the index shows the table and its legend; the rest is on its page; %s", rr)
		assert.Contains(t, read(t, dir, report.EdgeCasesPage), "Failing schedules", rr)
	})
	t.Run("claims", func(t *testing.T) {
		rr := rerun(t)
		require.NotEmpty(t, sum.Claims, rr)
		for _, c := range sum.Claims {
			assert.Contains(t, page, `href="claims.html#claim-`+strconv.Itoa(c.N)+`"`, rr)
		}
		claims := read(t, dir, report.ClaimsPage)
		for _, c := range sum.Claims {
			for _, s := range c.Results {
				assert.Contains(t, claims, "idemsim run --scenario "+s.Name, rr)
			}
		}
		assert.Contains(t, claims, "unique-409-key-reused</code> <span class=\"breaks\">breaks</span>: LOST 1", rr)
	})
	t.Run("every-strategy-and-experiment-linked", func(t *testing.T) {
		rr := rerun(t)
		for _, n := range models.Names() {
			assert.True(t, hrefs[report.StrategyPage(n)], "the index links %s; %s", report.StrategyPage(n), rr)
			assert.FileExists(t, filepath.Join(dir, report.StrategyPage(n)), rr)
		}
		for _, x := range sum.Experiments {
			assert.True(t, hrefs[report.ExperimentPage(x.Name)], "the index links %s; %s", report.ExperimentPage(x.Name), rr)
		}
		assert.NotContains(t, page, "<img", "the index holds tables and links, the pictures are on the pages it links; %s", rr)
	})
	t.Run("counterexamples", func(t *testing.T) {
		rr := rerun(t)
		require.Len(t, sum.Counterexamples, 1, rr)
		assert.Contains(t, page, `<a href="strategies/early-409.html#counterexample"><code>early-409</code></a>: lost at read-committed`, rr)
	})
}

// Goal: an experiment's page says what was swept and which metrics had
// nothing, shows every plot of it (a PNG that exists, linking its SVG) and
// nothing else; plots an earlier build drew that no longer apply are gone.
// Method: leave a stale plot and a stale strategy page in the fixtures,
// build, and read each experiment's page.
func TestExperimentPages(t *testing.T) {
	rr := rerun(t)
	dir := fixtures(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "network-loss", "rate-stuck.png"), []byte("old"), 0o644), rr)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, report.StrategiesDir), 0o755), rr)
	require.NoError(t, os.WriteFile(filepath.Join(dir, report.StrategiesDir, "gone.html"), []byte("old"), 0o644), rr)
	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rr)
	assert.NoFileExists(t, filepath.Join(dir, "network-loss", "rate-stuck.png"), "a plot of nothing is not drawn, and an old one goes; %s", rr)
	assert.NoFileExists(t, filepath.Join(dir, report.StrategiesDir, "gone.html"), rr)
	for _, x := range sum.Experiments {
		t.Run(x.Name, func(t *testing.T) {
			rr := rerun(t)
			page := read(t, dir, report.ExperimentPage(x.Name))
			figs := report.Figures(x)
			for _, f := range figs {
				assert.Contains(t, page, `<a href="`+f.Name+`.svg"><img src="`+f.Name+`.png"`, rr)
				assert.FileExists(t, filepath.Join(dir, x.Name, f.Name+".png"), rr)
				assert.FileExists(t, filepath.Join(dir, x.Name, f.Name+".svg"), rr)
			}
			assert.Equal(t, len(figs), strings.Count(page, "<figure>"), "one figure per plot; %s", rr)
			assert.Contains(t, page, html.EscapeString(x.Description), rr)
		})
	}
	page := read(t, dir, report.ExperimentPage("network-loss"))
	assert.Contains(t, page, `<p class="nothing">No stuck, wrong answer, unconfirmed or orphan charge in any cell.</p>`, rr)
	assert.Contains(t, read(t, dir, report.ExperimentPage("swarm")), "idemsim run --strategy early-409 --isolation read-committed --chaos 1", rr)
}

// Goal: a strategy's page has its rule, its verdict in every experiment
// (the worst rate of each failure kind and where), its edge cases, its
// counterexample with the command that replays it, and the claims'
// scenarios that run it.
// Method: build from the fixtures and read early-409's page: the swarm
// fixture's early-409 cell loses 6 of 800 operations; the edge-case
// fixture gives it LOST 59% in B.
func TestStrategyPage(t *testing.T) {
	rr := rerun(t)
	dir := fixtures(t)
	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rr)
	page := read(t, dir, report.StrategyPage("early-409"))
	s, err := models.Lookup("early-409")
	require.NoError(t, err, rr)
	assert.Contains(t, page, html.EscapeString(s.Rule), rr)
	verdicts := tableRows(t, page, "verdicts")
	require.Len(t, verdicts, 2, rr)
	assert.Equal(t, []string{"swarm", "world", "0", "7.5e-3", "0", "0", "0", "0"}, verdicts[1], rr)
	assert.Equal(t, []string{"B, network duplicate", "LOST 59%"}, tableRows(t, page, "edge-row")[2], rr)
	assert.Contains(t, page, "<li><code>early-409</code> in B (network duplicate): LOST 59%", "the file's lines about it; %s", rr)

	c := sum.Counterexamples[0]
	assert.Contains(t, html.UnescapeString(page), "<pre>"+c.Command+"</pre>", rr)
	assert.Contains(t, page, `<img src="../counterexamples/early-409.png"`, rr)
	assert.FileExists(t, filepath.Join(dir, "counterexamples", "early-409.png"), rr)

	for _, cl := range sum.Claims {
		for _, r := range cl.Results {
			if r.Strategy() == "early-409" {
				assert.Contains(t, page, "idemsim run --scenario "+r.Name, rr)
			} else {
				assert.NotContains(t, page, "idemsim run --scenario "+r.Name+"<", rr)
			}
		}
	}
	assert.Contains(t, page, "idemsim run --scenario early-409-first-crashes", rr)

	t.Run("variant", func(t *testing.T) {
		rr := rerun(t)
		rows := tableRows(t, read(t, dir, report.StrategyPage("stripe-replay")), "verdicts")
		require.Len(t, rows, 3, rr)
		assert.Equal(t, "multi-server", rows[1][0], rr)
		assert.Equal(t, []string{"multi-server (lease=10s)", "servers", "0", "0", "0", "3.1e-3 at 2", "0", "0"}, rows[2], rr)
	})
}

// Goal: every page opens offline: each reference is a file in the results
// directory, none leaves it.
// Method: build from the fixtures and resolve every src and href of every
// page written, relative to the page.
func TestPagesOffline(t *testing.T) {
	rr := rerun(t)
	dir := fixtures(t)
	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rr)
	n := 0
	for _, p := range sum.Written {
		if !strings.HasSuffix(p, ".html") {
			continue
		}
		n++
		page, err := os.ReadFile(p)
		require.NoError(t, err, rr)
		for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(page), -1) {
			ref, _, _ := strings.Cut(m[1], "#")
			if ref == "" {
				continue
			}
			assert.NotContains(t, ref, ":", "%s: a reference that leaves the directory: %s; %s", p, ref, rr)
			assert.FileExists(t, filepath.Join(filepath.Dir(p), filepath.FromSlash(ref)), "%s: %s\n%s", p, ref, rr)
		}
		assert.NotContains(t, string(page), "@import", rr)
		assert.NotContains(t, string(page), "url(", rr)
	}
	assert.Equal(t, sum.Pages, n, rr)
	assert.Equal(t, 1+len(sum.Experiments)+len(models.Names())+2, n, "index, experiments, strategies, claims, edge cases; %s", rr)
}

// Goal: a results directory without claims.txt or edge-cases.md (make
// results not run yet) still gets its report, whose pages say how to make
// them.
// Method: remove both from the fixtures and build.
func TestMissingOptionalFiles(t *testing.T) {
	rr := rerun(t)
	dir := fixtures(t)
	require.NoError(t, os.Remove(filepath.Join(dir, report.ClaimsFile)), rr)
	require.NoError(t, os.Remove(filepath.Join(dir, report.EdgeCasesFile)), rr)
	sum, err := report.Build(report.Options{Dir: dir})
	require.NoError(t, err, rr)
	assert.Empty(t, sum.Claims, rr)
	page := read(t, dir, report.PageFile)
	assert.Contains(t, page, "No <code>claims.txt</code> in this directory yet: <code>make results</code> writes it", rr)
	assert.Contains(t, page, "No <code>edge-cases.md</code> in this directory yet: <code>make results</code> writes it", rr)
	assert.NoFileExists(t, filepath.Join(dir, report.EdgeCasesPage), rr)
	assert.Contains(t, read(t, dir, report.StrategyPage("naive")), "No <code>claims.txt</code> yet", rr)
}

// manyStrategies is a cells.json of n strategies, one cell each.
func manyStrategies(n int) string {
	var cells []string
	for i := range n {
		cells = append(cells, fmt.Sprintf(`{"strategy":"s%d","isolation":"read-committed","value":"0"}`, i))
	}
	return `{"experiment":"network-loss","param":"p","cells":[` + strings.Join(cells, ",") + `]}`
}

// Goal: bad results are refused before anything is written, by an error
// that names the file and says what is wrong with it.
// Method: break one fixture at a time — among others with values no plot's
// axis can hold, more strategies than a figure can show, a file past the
// size limit — Build must fail with an InputError naming the file (and the
// cell), and the directory must be as it was.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string // relative to the results directory
		text string // written there
		want string
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
		{name: "isolation-without-two-clients", file: "isolation/cells.json", text: `{"experiment":"isolation","param":"workers_per_op","cells":[{"strategy":"naive","isolation":"read-committed","value":"1"}]}`, want: "no rows with workers_per_op = 2"},
		{name: "x-beyond-axes", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","numeric":true,"cells":[{"strategy":"naive","isolation":"read-committed","value":"0","x":-1e308},{"strategy":"naive","isolation":"read-committed","value":"1","x":1e308}]}`, want: "cell 0 (naive, read-committed, p=0): x -1e+308 is beyond the plots' axes (accepted: a number from -1e+15 to 1e+15)"},
		{name: "x-two-per-value", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","numeric":true,"cells":[{"strategy":"naive","isolation":"read-committed","value":"5","x":5},{"strategy":"unique-409","isolation":"read-committed","value":"5","x":0}]}`, want: "cell 1 (unique-409, read-committed, p=5): x 0, but cell 0 puts p=5 at x 5 (accepted: one x per value)"},
		{name: "too-many-strategies", file: "network-loss/cells.json", text: manyStrategies(report.MaxStrategies + 1), want: "cell 100 (s100, read-committed, p=0): a strategy past the first 100 (accepted: at most 100 strategies, variants included)"},
		{name: "name-too-long", file: "network-loss/cells.json", text: `{"experiment":"network-loss","param":"p","cells":[{"strategy":"` + strings.Repeat("n", report.MaxLabel+1) + `","isolation":"read-committed","value":"0"}]}`, want: "a strategy or value over 200 bytes long"},
		{name: "swarm-failure-twice", file: "swarm/cells.json", text: `{"experiment":"swarm","param":"p","cells":[{"strategy":"naive","isolation":"read-committed","value":"0"}],"swarm":{"failures":[{"strategy":"naive","isolation":"read-committed","kind":"duplicate","seed":1},{"strategy":"naive","isolation":"read-committed","kind":"duplicate","seed":2}]}}`, want: "swarm.failures[1] (naive at read-committed): the same strategy and level as swarm.failures[0] (accepted: one failure per strategy and level)"},
		{name: "cells-too-large", file: "network-loss/cells.json", text: strings.Repeat(" ", report.MaxInputFile+1), want: "larger than the limit of 16 MiB"},
		{name: "claims-stale", file: "claims.txt", text: "claim 1: x\n  unique-409-response-lost: no violation\n", want: "no outcome for scenario unique-409-charge-not-forwarded of claim 1: the file is stale"},
		{name: "edge-cases-no-table", file: "edge-cases.md", text: "# Edge cases\n\nNothing here.\n", want: "no Markdown table with a header and rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := rerun(t)
			dir := fixtures(t)
			path := filepath.Join(dir, filepath.FromSlash(tc.file))
			require.NoError(t, os.WriteFile(path, []byte(tc.text), 0o644), rr)
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
// file, and a target that is not a regular file is refused before any file
// is written (a failure while renaming is internal/atomicfile's test).
// Method: WriteFiles with a file whose directory is missing (fails while
// writing: nothing renamed) and with a target that is a directory
// (refused: nothing written); then a whole Build whose page is a
// directory. After each, no ".tmp-" file is left and earlier targets hold
// their old bytes.
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
	t.Run("refuses-a-directory", func(t *testing.T) {
		rr := rerun(t)
		dir := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "b.png", "keep"), 0o755), rr)
		err := report.WriteFiles(report.File{Path: filepath.Join(dir, "a.svg"), Data: []byte("new")},
			report.File{Path: filepath.Join(dir, "b.png"), Data: []byte("new")})
		var refused *atomicfile.RefusedError
		require.ErrorAs(t, err, &refused, rr)
		assert.Contains(t, err.Error(), filepath.Join(dir, "b.png")+" is a directory", rr)
		assert.Empty(t, temps(t, dir), rr)
		assert.Empty(t, snapshot(t, dir), "nothing is written; %s", rr)
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
