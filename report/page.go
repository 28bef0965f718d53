package report

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg"
)

// PageFile is the report page's name in the results directory.
const PageFile = "index.html"

// Headline is the page's first table: per strategy and isolation level,
// the duplicate and lost rates of the isolation experiment.
type Headline struct {
	Levels []string
	Rows   []HeadlineRow
	Values int    // swept values pooled in each cell
	Param  string // what was swept
}

// HeadlineRow is one strategy's rates at each level.
type HeadlineRow struct {
	Strategy string
	Cells    []HeadlineCell
}

// HeadlineCell is a strategy at a level; Run is false where it was not run.
type HeadlineCell struct {
	Run       bool
	Duplicate Rate
	Lost      Rate
	Ops       int64
}

// Class is the cell's CSS class: ok, dup, lost or none.
func (c HeadlineCell) Class() string {
	switch {
	case !c.Run:
		return "none"
	case c.Duplicate.Count > 0:
		return "dup"
	case c.Lost.Count > 0:
		return "lost"
	}
	return "ok"
}

// Title is the cell's tooltip: the counts and intervals behind the rates.
func (c HeadlineCell) Title() string {
	return fmt.Sprintf("duplicate %d of %d operations, 95%% interval [%s, %s]; lost %d, [%s, %s]",
		c.Duplicate.Count, c.Ops, formatRate(c.Duplicate.Low), formatRate(c.Duplicate.High),
		c.Lost.Count, formatRate(c.Lost.Low), formatRate(c.Lost.High))
}

// Markdown is the headline table as the README shows it: per strategy and
// level, the duplicate and lost rates ("dup / lost"), in bold where either
// is not zero, "-" where the strategy did not run at the level.
func (h Headline) Markdown() string {
	var b strings.Builder
	b.WriteString("| strategy |")
	for _, l := range h.Levels {
		b.WriteString(" " + l + " |")
	}
	b.WriteString("\n|---|")
	for range h.Levels {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range h.Rows {
		b.WriteString("| `" + r.Strategy + "` |")
		for _, c := range r.Cells {
			cell := "-"
			if c.Run {
				cell = formatRate(c.Duplicate.Rate) + " / " + formatRate(c.Lost.Rate)
				if c.Duplicate.Count > 0 || c.Lost.Count > 0 {
					cell = "**" + cell + "**"
				}
			}
			b.WriteString(" " + cell + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// HeadlineOf is the headline table from the isolation experiment.
func HeadlineOf(x *Experiment) Headline {
	dup, lost := GridOf(x, Metrics[0]), GridOf(x, Metrics[1])
	h := Headline{Levels: dup.Levels, Values: dup.Values, Param: x.ParamLabel}
	for _, s := range dup.Strategies {
		row := HeadlineRow{Strategy: s}
		for _, l := range dup.Levels {
			k := [2]string{s, l}
			d, ok := dup.Rates[k]
			row.Cells = append(row.Cells, HeadlineCell{Run: ok, Duplicate: d, Lost: lost.Rates[k], Ops: dup.Ops[k]})
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

// pageFigure is a figure as the page links it.
type pageFigure struct {
	Title, Caption string
	PNG, SVG       string // relative to the page
	W, H           int    // the PNG's pixels
}

type pageExperiment struct {
	*Experiment
	Values  []string
	Figures []pageFigure
	CSV     string
	JSON    string
}

type pageData struct {
	Headline        *Headline
	Experiments     []pageExperiment
	Missing         []string
	Claims          []Claim
	Counterexamples []Counterexample
	SwarmRan        bool
}

func pixels(l vg.Length) int { return int(l.Dots(PNGDPI) + 0.5) }

func newPageExperiment(x *Experiment, figs []Figure) pageExperiment {
	pe := pageExperiment{Experiment: x, JSON: path.Join(x.Name, CellsFile)}
	if _, err := os.Stat(filepath.Join(filepath.Dir(x.Path), "cells.csv")); err == nil {
		pe.CSV = path.Join(x.Name, "cells.csv")
	}
	pe.Values, _ = x.values()
	for _, f := range figs {
		pe.Figures = append(pe.Figures, pageFigure{
			Title: f.Title, Caption: f.Caption,
			PNG: path.Join(x.Name, f.Name+".png"), SVG: path.Join(x.Name, f.Name+".svg"),
			W: pixels(f.W), H: pixels(f.H),
		})
	}
	return pe
}

var funcs = template.FuncMap{
	"rate": formatRate,
	"join": strings.Join,
	"upper": func(s any) string {
		return strings.ToUpper(fmt.Sprint(s))
	},
}

// Page renders the report page.
func page(d pageData) ([]byte, error) {
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("report: page: %w", err)
	}
	return b.Bytes(), nil
}

var pageTemplate = template.Must(template.New("page").Funcs(funcs).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>idemsim: what a server should do with a repeated idempotency key</title>
<style>
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #222; max-width: 1000px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-bottom: 0.3em; }
.question { font-size: 1.1em; background: #f4f6f9; border-left: 4px solid #2b5d8c; padding: 0.6em 1em; }
nav ul { columns: 2; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #d8d8d8; padding: 0.2em 0.5em; text-align: right; }
th { background: #f0f0f0; }
td.name, th.name { text-align: left; font-family: "Liberation Mono", monospace; }
td.ok { background: #eef7ee; }
td.dup { background: #fbe3e1; }
td.lost { background: #fdf0d5; }
td.none { color: #999; text-align: center; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.88em; color: #444; }
pre, code { font-family: "Liberation Mono", monospace; font-size: 0.85em; }
pre { background: #f6f6f6; padding: 0.5em; white-space: pre-wrap; word-break: break-all; }
.holds { color: #2e7d32; font-weight: bold; }
.breaks { color: #c62828; font-weight: bold; }
.meta { color: #555; font-size: 0.9em; }
li.scenario { margin-bottom: 0.5em; }
</style>
</head>
<body>
<h1>What should a server do with a repeated idempotency key?</h1>
<p class="question">A client that times out cannot tell whether its payment went through, so it retries with the same Idempotency-Key; the server must then make the payment happen exactly once and answer consistently, whether the first request succeeded, failed, is still running or was never seen. Of the designs argued for in the thread (replay, 409, locks, unique indexes, isolation levels, stores, queues), which ones charge twice or lose a payment, and under which faults?</p>
<p class="meta">Every number on this page comes from a simulation run with fixed seeds: the same code gives the same page. A <b>duplicate</b> is a payment that took effect more than once; a <b>lost</b> one is a payment a client was told was done that never happened. Rates are per business operation with 95% Wilson intervals.</p>

<nav><ul>
<li><a href="#headline">Headline: strategy by isolation level</a></li>
{{range .Experiments}}<li><a href="#{{.Name}}">Experiment {{.Name}}</a></li>
{{end}}<li><a href="#claims">The thread's claims</a></li>
<li><a href="#counterexamples">Counterexamples from the swarm</a></li>
</ul></nav>

<h2 id="headline">Headline: duplicates and lost payments by isolation level</h2>
{{with .Headline}}<p>From the <a href="#isolation">isolation experiment</a>{{if gt .Values 1}}, pooled over its {{.Values}} values of the {{.Param}}{{end}}. Each cell is <i>duplicate rate / lost rate</i>; hover for counts and intervals. Red: some payment was made twice; amber: some was lost; green: neither.</p>
<table id="headline-table">
<tr><th class="name">strategy</th>{{range .Levels}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td class="name">{{.Strategy}}</td>{{range .Cells}}{{if .Run}}<td class="{{.Class}}" title="{{.Title}}">{{rate .Duplicate.Rate}} / {{rate .Lost.Rate}}</td>{{else}}<td class="none">–</td>{{end}}{{end}}</tr>
{{end}}</table>
{{else}}<p>No results/isolation/cells.json yet: the headline table is drawn from the isolation experiment (make experiments).</p>
{{end}}
{{if .Missing}}<p class="meta">Experiments without results yet: {{join .Missing ", "}}.</p>{{end}}

{{range .Experiments}}
<h2 id="{{.Name}}">Experiment {{.Name}}</h2>
<p>{{.Description}}</p>
<p class="meta">Swept: {{.ParamLabel}} (<code>{{.Param}}</code>): {{join .Values ", "}}. {{.SeedsPerCell}} seeds per cell. Data: <a href="{{.JSON}}">cells.json</a>{{if .CSV}}, <a href="{{.CSV}}">cells.csv</a>{{end}}.</p>
{{range .Figures}}<figure>
<a href="{{.SVG}}"><img src="{{.PNG}}" width="{{.W}}" height="{{.H}}" alt="{{.Title}}"></a>
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}{{end}}

<h2 id="claims">The thread's claims, and what the simulation showed</h2>
<p>Each claim is settled by scripted scenarios (<code>claims/scenarios/</code>); each scenario's comment says on which side of the claim it falls, and its run's audit is what it showed (<code>idemsim claims</code>, recorded in <a href="claims.txt">claims.txt</a>). The command under each replays it with its timeline.</p>
{{range .Claims}}<h3 id="claim-{{.N}}">Claim {{.N}}: {{.Text}}</h3>
<p class="meta">{{.About}}</p>
<p>{{if or .Holds .Breaks}}Holds in {{.Holds}} scenario{{if ne .Holds 1}}s{{end}}, breaks in {{.Breaks}}.{{else}}Illustrated by the scenarios below.{{end}}</p>
<ul>
{{range .Results}}<li class="scenario"><code>{{.Name}}</code>{{if .Side}} <span class="{{.Side}}">{{.Side}}</span>{{end}}: {{.Outcome}}<br>{{.Comment}}<br><code>{{.Command}}</code></li>
{{end}}</ul>
{{end}}

<h2 id="counterexamples">Counterexamples from the swarm</h2>
{{if .Counterexamples}}<p>For each strategy the swarm caught, its shortest counterexample: of the first failing seed at each isolation level, shrunk to a minimal run (fewer faults, clients, servers, operations, constant timings, less time) that still shows the same kind of violation — duplicate or lost in the audit, else a history porcupine finds illegal — the shortest, drawn as a sequence diagram; the command replays that run. The diagrams and their commands are also in <a href="counterexamples/README.md">counterexamples/</a>.</p>
{{range .Counterexamples}}<h3 id="cx-{{.Image}}">{{.Strategy}} at {{.Isolation}}: {{.Kind}}</h3>
<p class="meta">Swarm seed {{.Seed}} (<code>{{.Failure.Command}}</code>), shrunk in {{.Runs}} runs from {{.From}} to {{.To}}.</p>
<ul>{{range .Violations}}<li><code>{{.}}</code></li>{{end}}<li>porcupine: <code>{{.Porcupine}}</code></li></ul>
<pre>{{.Command}}</pre>
<figure><a href="counterexamples/{{.Image}}.png"><img src="counterexamples/{{.Image}}.png" alt="sequence diagram of the minimal {{.Kind}} for {{.Strategy}} at {{.Isolation}}"></a></figure>
{{end}}{{else if .SwarmRan}}<p>The swarm found no failing world.</p>
{{else}}<p>No results/swarm/cells.json yet (make experiments).</p>
{{end}}
<p class="meta">Generated by <code>idemsim report</code> from the files beside this page.</p>
<script>
// Marks the page with how many of its images loaded, and reports any that
// did not as a console error (make report-check reads both).
window.addEventListener("load", function () {
	var broken = [];
	for (var i = 0; i < document.images.length; i++) {
		var img = document.images[i];
		if (!img.complete || img.naturalWidth === 0) {
			broken.push(img.getAttribute("src"));
		}
	}
	document.body.setAttribute("data-images", document.images.length + " images, " + broken.length + " broken");
	if (broken.length > 0) {
		console.error("broken images: " + broken.join(" "));
	}
});
</script>
</body>
</html>
`))
