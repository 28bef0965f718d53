package diagram

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/faults"
	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

var update = flag.Bool("update", false, "rewrite diagram/testdata from the current drawing (then look at the PNG)")

func rerun(t testing.TB) string { return testcmd.Rerun(t, "./diagram") }

// scenario is a small run with its trace kept: one server, one client, one
// operation, no think time, and the given faults (fault lines as
// `idemsim run --fault` takes them).
func scenario(t testing.TB, s api.Strategy, faultLines ...string) (*world.Result, check.Report) {
	t.Helper()
	cfg := world.Defaults()
	cfg.Strategy = s
	cfg.Servers, cfg.Clients, cfg.OpsPerClient = 1, 1, 1
	cfg.Client.Think = sim.Const(0)
	cfg.KeepTrace = true
	for _, line := range faultLines {
		f, err := faults.ParseFault(line)
		require.NoError(t, err, rerun(t))
		cfg.Faults.Replay = append(cfg.Faults.Replay, f)
	}
	res, err := world.Run(cfg)
	require.NoError(t, err, rerun(t))
	return res, check.Audit(res)
}

// lostResponse is the golden scenario: naive loses its first response, the
// client retries, and the retry inserts a second payment.
func lostResponse(t testing.TB) (*world.Result, check.Report) {
	return scenario(t, models.Naive, "drop-response c1/o1.1/a1")
}

// always409 answers 409 to everything and does nothing: a client that reads
// 409 as done concludes on nothing (lost).
var always409 = api.Strategy{
	Name: "always-409", Rule: "answer 409 and do nothing", Contract: api.ContractNone,
	Schema: []string{"create table payments (amount bigint)"},
	Ledger: []string{"payments"},
	Boot: func(api.Settings) api.Server {
		answer := func(api.Env, api.Request) api.Response { return api.Response{Status: 409} }
		return api.Server{Create: answer, Poll: answer}
	},
}

// fontData matches the embedded font's bytes in the SVG.
var fontData = regexp.MustCompile(`base64,([A-Za-z0-9+/=]+)\)`)

// withoutFont replaces the embedded font's data with a placeholder, so the
// golden file stays small enough to read in a diff.
func withoutFont(svg []byte) []byte {
	return fontData.ReplaceAll(svg, []byte("base64,(Liberation Sans Regular, left out of the golden file))"))
}

// Goal: the drawing of a small duplicate stays what was reviewed. Method:
// the lost-response scenario's SVG, font data left out, against
// testdata/lost-response.svg; -update rewrites it and the PNG beside it
// (look at the PNG before committing). The committed PNG must have the
// size the SVG's drawing has now, so it is not left stale.
func TestGolden(t *testing.T) {
	rr := rerun(t)
	res, rep := lostResponse(t)
	d, err := New(res, rep, Options{})
	require.NoError(t, err, rr)
	svg, err := d.SVG()
	require.NoError(t, err, rr)
	got := withoutFont(svg)
	golden := filepath.Join("testdata", "lost-response.svg")
	picture := filepath.Join("testdata", "lost-response.png")
	if *update {
		pic, err := d.PNG()
		require.NoError(t, err, rr)
		require.NoError(t, os.WriteFile(golden, got, 0o644), rr)
		require.NoError(t, os.WriteFile(picture, pic, 0o644), rr)
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run with -update to create it; %s", rr)
	assert.Equal(t, string(want), string(got), "the drawing changed: rerun with -update and look at %s; %s", picture, rr)

	f, err := os.Open(picture)
	require.NoError(t, err, rr)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err, rr)
	w, h := d.Size()
	assert.Equal(t, [2]int{int(w/vg72*PNGDPI + 0.5), int(h/vg72*PNGDPI + 0.5)}, [2]int{cfg.Width, cfg.Height},
		"%s is stale: rerun with -update; %s", picture, rr)
}

// vg72 is points per inch.
const vg72 = 72

// Goal: a drawing carries its font, so it reads the same offline on any
// machine. Method: the SVG's one embedded font is gonum's Liberation Sans
// Regular, byte for byte, and nothing is fetched from elsewhere.
func TestFontIsEmbedded(t *testing.T) {
	rr := rerun(t)
	res, rep := lostResponse(t)
	d, err := New(res, rep, Options{})
	require.NoError(t, err, rr)
	svg, err := d.SVG()
	require.NoError(t, err, rr)
	m := fontData.FindAllSubmatch(svg, -1)
	require.Len(t, m, 1, "one embedded font; %s", rr)
	data, err := base64.StdEncoding.DecodeString(string(m[0][1]))
	require.NoError(t, err, rr)
	assert.True(t, bytes.Equal(liberationsansregular.TTF, data), "the embedded font is Liberation Sans Regular; %s", rr)
	rest := fontData.ReplaceAll(svg, nil)
	assert.NotRegexp(t, `url\((https?:|//)|href="http`, string(rest), "nothing is loaded from the network; %s", rr)
}

// Goal: the same run draws the same picture, byte for byte. Method: the
// scenario run twice, each drawn as SVG and PNG, compared.
func TestSameRunSamePicture(t *testing.T) {
	rr := rerun(t)
	draw := func() (svg, pic []byte) {
		res, rep := lostResponse(t)
		d, err := New(res, rep, Options{})
		require.NoError(t, err, rr)
		svg, err = d.SVG()
		require.NoError(t, err, rr)
		pic, err = d.PNG()
		require.NoError(t, err, rr)
		return svg, pic
	}
	svg1, png1 := draw()
	svg2, png2 := draw()
	assert.True(t, bytes.Equal(svg1, svg2), "two drawings of one run differ (SVG); %s", rr)
	assert.True(t, bytes.Equal(png1, png2), "two drawings of one run differ (PNG); %s", rr)
}

// svgColour is how the SVG writes a colour.
func svgColour(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02X%02X%02X", r>>8, g>>8, b>>8)
}

// Goal: what broke a rule is marked, and nothing is marked in a clean run.
// Method: three runs — the lost response (a duplicate: the second payments
// row is labelled and banded in the highlight colour), the same run without
// the fault (no violation: neither colour nor label), and a server that
// answers 409 without doing anything (lost: the client's conclusion is
// marked).
func TestHighlight(t *testing.T) {
	for _, tc := range []struct {
		name     string
		strategy api.Strategy
		faults   []string
		marked   []string // labels drawn in the highlight colour
		verdict  string
	}{
		{"duplicate", models.Naive, []string{"drop-response c1/o1.1/a1"},
			[]string{"payments row 2 for o1.1 — duplicate"}, "duplicate o1.1: took effect 2x; c1 done"},
		{"clean", models.Naive, nil, nil, "no violation"},
		{"lost", always409, nil,
			[]string{"concludes o1.1: done (409) — lost: nothing took effect"}, "lost o1.1: took effect 0x; c1 done"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := rerun(t)
			res, rep := scenario(t, tc.strategy, tc.faults...)
			d, err := New(res, rep, Options{})
			require.NoError(t, err, rr)
			b, err := d.SVG()
			require.NoError(t, err, rr)
			svg := string(b)
			red := "fill:" + svgColour(Highlight) + `">`
			for _, label := range tc.marked {
				assert.Contains(t, svg, red+label+"</text>", "marked in the highlight colour; %s", rr)
			}
			assert.Contains(t, svg, ">"+tc.verdict+"</text>", rr)
			if tc.marked == nil {
				assert.NotContains(t, svg, svgColour(Highlight), "nothing in the highlight colour; %s", rr)
				assert.NotContains(t, svg, svgColour(band), "no highlighted row; %s", rr)
				assert.NotContains(t, svg, " — duplicate", rr)
			} else {
				assert.Contains(t, svg, "fill:"+svgColour(band), "the row is banded; %s", rr)
			}
		})
	}
}

// Goal: what only porcupine finds is named under the title, beside the
// audit's verdict. Method: the dual write's job message lost, so that the
// 202 it answered is never honoured; drawn without and with porcupine's
// check of the run.
func TestPorcupineVerdict(t *testing.T) {
	rr := rerun(t)
	res, rep := scenario(t, models.Async202DualWrite, "drop-request c1/o1.1/a1/queue1")
	lin, err := check.Linearize(res, 0)
	require.NoError(t, err, rr)
	require.Equal(t, 1, lin.Counts[check.Illegal], rr)
	for _, tc := range []struct {
		name string
		lin  *check.Linearization
		want []string
	}{
		{"audit-only", nil, []string{"stuck o1.1"}},
		{"with-porcupine", &lin, []string{"stuck o1.1", "non-linearizable o1.1 (porcupine: effects)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(res, rep, Options{Linearization: tc.lin})
			require.NoError(t, err, rr)
			var got []string
			for _, v := range d.verdicts {
				assert.True(t, v.bad, "%q is drawn as bad; %s", v.text, rr)
				got = append(got, v.text)
			}
			require.Len(t, got, len(tc.want), rr)
			for i, w := range tc.want {
				assert.True(t, strings.HasPrefix(got[i], w), "verdict %d: %q, want it to start %q; %s", i, got[i], w, rr)
			}
		})
	}
}

// Goal: a long run is cut down to something readable, and the picture
// says so. Method: the built-in world (800 operations, 20% of responses
// lost) drawn whole, which falls back to its first violation's operation;
// and one operation capped at five rows.
func TestLongRunIsRestricted(t *testing.T) {
	rr := rerun(t)
	cfg := world.Defaults()
	cfg.Strategy, cfg.KeepTrace = models.Naive, true
	cfg.Faults.Link.DropResponseRate = 0.2
	res, err := world.Run(cfg)
	require.NoError(t, err, rr)
	rep := check.Audit(res)
	require.True(t, rep.Violated(check.Duplicate), rr)
	first := rep.Violations[0].Op

	d, err := New(res, rep, Options{})
	require.NoError(t, err, rr)
	assert.Contains(t, d.title, "operation "+first.String(), rr)
	require.Len(t, d.notes, 1, rr)
	assert.Regexp(t, `^a long run \(\d+ rows\): only `+regexp.QuoteMeta(first.String())+`'s events are drawn`, d.notes[0], rr)
	assert.LessOrEqual(t, len(d.rows), DefaultMaxRows, rr)
	for _, r := range d.rows {
		if !r.ev.Op.IsZero() {
			assert.Equal(t, first, r.ev.Op, "row %q; %s", r.ev.Text, rr)
		}
	}

	d, err = New(res, rep, Options{Op: &first, MaxRows: 5})
	require.NoError(t, err, rr)
	assert.Len(t, d.rows, 5, rr)
	require.Len(t, d.notes, 1, rr)
	assert.Regexp(t, `^the first 5 of \d+ rows are drawn; the rest are left out$`, d.notes[0], rr)
	svg, err := d.SVG()
	require.NoError(t, err, rr)
	assert.Contains(t, string(svg), ">"+d.notes[0]+"</text>", "the picture says what it left out; %s", rr)
}

// Goal: an operation with no event still gives a picture, one that says
// so, and one whose only events are a partition's draws its rules. Method:
// an operation the run does not have, in the lost-response scenario and in
// the same run with a partition.
func TestNothingToDraw(t *testing.T) {
	missing := api.OpID{Queue: 9, Index: 9}
	for _, tc := range []struct {
		name   string
		faults []string
		rows   int
	}{
		{"no-event", nil, 0},
		{"only-a-partition", []string{"partition clients|s1@10s..11s"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := rerun(t)
			res, rep := scenario(t, models.Naive, tc.faults...)
			d, err := New(res, rep, Options{Op: &missing})
			require.NoError(t, err, rr)
			assert.Len(t, d.rows, tc.rows, rr)
			svg, err := d.SVG()
			require.NoError(t, err, rr)
			_, err = d.PNG()
			require.NoError(t, err, rr)
			if tc.rows == 0 {
				assert.Contains(t, string(svg), "nothing to draw", rr)
			}
		})
	}
}

// Goal: a run without its trace is refused with a reason, not drawn empty.
// Method: the scenario with KeepTrace off.
func TestNeedsKeptTrace(t *testing.T) {
	rr := rerun(t)
	cfg := world.Defaults()
	cfg.Strategy, cfg.Servers, cfg.Clients, cfg.OpsPerClient = models.Naive, 1, 1, 1
	res, err := world.Run(cfg)
	require.NoError(t, err, rr)
	_, err = New(res, check.Audit(res), Options{})
	assert.ErrorContains(t, err, "KeepTrace", rr)
	dir := t.TempDir()
	err = Write(res, check.Audit(res), Options{}, filepath.Join(dir, "d.svg"), "")
	assert.Error(t, err, rr)
	assert.Empty(t, entries(t, dir), "nothing written; %s", rr)
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err, rerun(t))
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// Goal: Write leaves either whole files or none, and never a temporary
// file. Method: a good write (both files whole, nothing else in the
// directory), then failures — a parent that is a file, a parent that does
// not exist, a target that is a directory, and (when not root, whom
// permissions do not stop) a read-only directory — each an error that
// leaves the directory as it was.
func TestWriteIsAtomic(t *testing.T) {
	res, rep := lostResponse(t)
	t.Run("written", func(t *testing.T) {
		rr := rerun(t)
		dir := t.TempDir()
		svgPath, pngPath := filepath.Join(dir, "o1.1.svg"), filepath.Join(dir, "o1.1.png")
		require.NoError(t, Write(res, rep, Options{}, svgPath, pngPath), rr)
		assert.ElementsMatch(t, []string{"o1.1.svg", "o1.1.png"}, entries(t, dir), rr)
		svg, err := os.ReadFile(svgPath)
		require.NoError(t, err, rr)
		assert.True(t, bytes.HasPrefix(svg, []byte("<?xml")) && bytes.HasSuffix(svg, []byte("</svg>\n")), "a whole SVG; %s", rr)
		f, err := os.Open(pngPath)
		require.NoError(t, err, rr)
		defer f.Close()
		_, err = png.Decode(f)
		assert.NoError(t, err, "a whole PNG; %s", rr)
		info, err := os.Stat(svgPath)
		require.NoError(t, err, rr)
		assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), rr)
	})
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, dir string) (svgPath, pngPath string)
	}{
		{"parent-is-a-file", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644), rerun(t))
			return filepath.Join(dir, "file", "d.svg"), filepath.Join(dir, "d.png")
		}},
		{"no-such-directory", func(t *testing.T, dir string) (string, string) {
			return filepath.Join(dir, "d.svg"), filepath.Join(dir, "missing", "d.png")
		}},
		{"target-is-a-directory", func(t *testing.T, dir string) (string, string) {
			require.NoError(t, os.Mkdir(filepath.Join(dir, "d.svg"), 0o755), rerun(t))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "d.svg", "keep"), []byte("x"), 0o644), rerun(t))
			return filepath.Join(dir, "d.svg"), ""
		}},
		{"read-only-directory", func(t *testing.T, dir string) (string, string) {
			if os.Geteuid() == 0 {
				t.Skip("root writes into a read-only directory")
			}
			ro := filepath.Join(dir, "ro")
			require.NoError(t, os.Mkdir(ro, 0o555), rerun(t))
			t.Cleanup(func() { os.Chmod(ro, 0o755) })
			return filepath.Join(ro, "d.svg"), filepath.Join(ro, "d.png")
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rr := rerun(t)
			dir := t.TempDir()
			svgPath, pngPath := tc.setup(t, dir)
			before := tree(t, dir)
			err := Write(res, rep, Options{}, svgPath, pngPath)
			assert.Error(t, err, rr)
			assert.Equal(t, before, tree(t, dir), "the directory is as it was: no file half-written, no temporary file; %s", rr)
		})
	}
}

// tree lists every path under dir with its size.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		out = append(out, fmt.Sprintf("%s %d %v", strings.TrimPrefix(p, dir), info.Size(), info.IsDir()))
		return nil
	}), rerun(t))
	return out
}

// BenchmarkDraw measures laying out and rendering the golden scenario, and
// a run of 3 servers, 3 clients x 4 operations with lost responses,
// duplicates and a partition (112 rows).
func BenchmarkDraw(b *testing.B) {
	mid := world.Defaults()
	mid.Strategy, mid.KeepTrace = models.LocalCache, true
	mid.Servers, mid.Clients, mid.OpsPerClient = 3, 3, 4
	mid.Faults.Link.DropResponseRate, mid.Faults.Link.DuplicateRate = 0.2, 0.1
	mid.Faults.Partitions = []faults.Partition{{A: faults.NodeSet{"clients"}, B: faults.NodeSet{"s2"},
		From: sim.Time(200 * time.Millisecond), To: sim.Time(900 * time.Millisecond)}}
	res, err := world.Run(mid)
	require.NoError(b, err)
	small, smallRep := lostResponse(b)
	type run struct {
		name string
		res  *world.Result
		rep  check.Report
	}
	for _, tc := range []run{{"lost-response", small, smallRep}, {"3x3x4", res, check.Audit(res)}} {
		d, err := New(tc.res, tc.rep, Options{})
		require.NoError(b, err)
		b.Run(tc.name+"/layout", func(b *testing.B) {
			for b.Loop() {
				_, _ = New(tc.res, tc.rep, Options{})
			}
			b.ReportMetric(float64(len(d.rows)), "rows")
		})
		b.Run(tc.name+"/svg", func(b *testing.B) {
			for b.Loop() {
				_, _ = d.SVG()
			}
		})
		b.Run(tc.name+"/png", func(b *testing.B) {
			for b.Loop() {
				_, _ = d.PNG()
			}
		})
	}
}
