package report

import (
	"bytes"
	"fmt"
	"html/template"
	"path"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/idemsim/idemsim/models"
)

// The report's pages, relative to the results directory: the index, one
// page per experiment beside its plots, one per strategy, the claims and
// the edge cases. StrategyPage (scorecard.go) names a strategy's.
const (
	PageFile      = "index.html"
	ClaimsPage    = "claims.html"
	EdgeCasesPage = "edge-cases.html"
	StrategiesDir = "strategies"
)

// ExperimentPage is an experiment's page, relative to the results
// directory: beside its cells.json and its plots.
func ExperimentPage(name string) string { return name + "/" + PageFile }

// isStrategy reports whether name is a strategy of the registry, which
// has a page.
func isStrategy(name string) bool {
	_, err := models.Lookup(name)
	return err == nil
}

// strategyLink is the page of a strategy or of a variant's base
// strategy, "" for a name the registry does not know.
func strategyLink(name string) string {
	base, _, _ := strings.Cut(name, " ")
	if !isStrategy(base) {
		return ""
	}
	return StrategyPage(base)
}

// pageFigure is a figure as a page links it.
type pageFigure struct {
	Title, Caption string
	PNG, SVG       string // relative to the page
	W, H           int    // the PNG's pixels
}

func pixels(l vg.Length) int { return int(l.Dots(PNGDPI) + 0.5) }

// link is a name and where it leads, relative to the page.
type link struct{ Text, Href string }

// page is what every page's frame needs.
type page struct {
	Title string
	Base  string // from the page to the results directory: "" or "../"
	Crumb string // the page's name after the index's in the trail ("" on the index)
}

type indexData struct {
	page
	Scorecard       template.HTML
	Headline        template.HTML
	HeadlineMissing bool
	Edge            template.HTML
	EdgeMissing     bool
	Strategies      template.HTML
	Experiments     []experimentSummary
	Missing         []string
	Claims          []Claim
	ClaimsMissing   bool
	Counterexamples []Counterexample
	SwarmRan        bool
}

type experimentSummary struct {
	Name, Href, Description, Nothing string
	Figures                          int
}

type experimentData struct {
	page
	*Experiment
	Values     []string
	Nothing    string
	Figures    []pageFigure
	CSV        string
	Strategies []link
	Failures   []swarmFailure
}

type swarmFailure struct {
	Failure
	Href     string // the strategy's page
	Shrunk   bool   // the strategy's counterexample on its page comes from this failure
	Strategy string
}

type strategyData struct {
	page
	Name, Rule, Position, Contract string
	Levels, Switches               string
	Scorecard                      template.HTML
	Verdicts                       template.HTML
	RanIn                          int
	Edge                           template.HTML
	EdgeAbout                      []template.HTML
	EdgeMissing                    bool
	Counterexample                 *Counterexample
	Claims                         []strategyClaim
	ClaimsMissing                  bool
}

type strategyClaim struct {
	Claim   Claim
	Results []ScenarioResult
}

type claimsData struct {
	page
	Claims []Claim
}

type edgeData struct {
	page
	Body template.HTML
}

// render executes one of the page templates.
func render(name string, data any) ([]byte, error) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		return nil, fmt.Errorf("report: page %s: %w", name, err)
	}
	return b.Bytes(), nil
}

var funcs = template.FuncMap{
	"join":         strings.Join,
	"strategyLink": strategyLink,
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}

var pages = template.Must(template.New("pages").Funcs(funcs).Parse(`
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: "Liberation Sans", Arial, Helvetica, sans-serif; color: #222; max-width: 1180px; margin: 1.5em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin: 0.3em 0; }
h2 { font-size: 1.3em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.8em; }
h3 { font-size: 1.08em; margin-bottom: 0.3em; }
a { color: #1f5a96; }
.crumbs { font-size: 0.9em; color: #555; margin: 0; }
.question { font-size: 1.05em; background: #f4f6f9; border-left: 4px solid #2b5d8c; padding: 0.6em 1em; }
nav.toc { font-size: 0.95em; }
nav.toc a { margin-right: 1.1em; white-space: nowrap; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.8em; margin: 0.4em 0; }
th, td { border: 1px solid #d8d8d8; padding: 0.2em 0.45em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.name { white-space: nowrap; }
#scorecard-table { font-size: 0.76em; }
#scorecard-table td { min-width: 5.5em; }
#scorecard-table td.name { min-width: 0; }
td.bad { background: #fbe3e1; }
p.caption, p.note { font-size: 0.9em; color: #333; }
.nothing { font-style: italic; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.88em; color: #444; }
code, pre { font-family: "Liberation Mono", monospace; font-size: 0.88em; overflow-wrap: anywhere; }
pre { background: #f6f6f6; padding: 0.5em; white-space: pre-wrap; word-break: break-all; }
ul.md li, li.scenario, ul.list li { margin-bottom: 0.35em; }
.holds { color: #2e7d32; font-weight: bold; }
.breaks { color: #c62828; font-weight: bold; }
.meta { color: #555; font-size: 0.9em; }
</style>
</head>
<body>
{{if .Crumb}}<p class="crumbs"><a href="{{.Base}}index.html">idemsim report</a> › {{.Crumb}}</p>
{{end}}{{end}}

{{define "foot"}}<p class="meta">Generated by <code>idemsim report</code> from the files in the results directory; every number comes from simulations with fixed seeds.</p>
<script>
// Marks the page with how many of its images loaded, its size, and any
// table wider than its box; reports a broken image as a console error
// (make report-check reads all of it).
window.addEventListener("load", function () {
	var broken = [];
	for (var i = 0; i < document.images.length; i++) {
		var img = document.images[i];
		if (!img.complete || img.naturalWidth === 0) {
			broken.push(img.getAttribute("src"));
		}
	}
	var wide = 0;
	var boxes = document.querySelectorAll(".scroll");
	for (var j = 0; j < boxes.length; j++) {
		if (boxes[j].scrollWidth > boxes[j].clientWidth + 1) {
			wide++;
		}
	}
	var d = document.documentElement;
	document.body.setAttribute("data-images", document.images.length + " images, " + broken.length + " broken");
	document.body.setAttribute("data-size", d.scrollWidth + "x" + d.scrollHeight + ", " + wide + " wide tables");
	if (broken.length > 0) {
		console.error("broken images: " + broken.join(" "));
	}
});
</script>
</body>
</html>
{{end}}

{{define "index"}}{{template "head" .}}
<h1>What should a server do with a repeated idempotency key?</h1>
<p class="question">A client that times out cannot tell whether its payment went through, so it retries with the same Idempotency-Key; the server must then make the payment happen exactly once and answer consistently, whether the first request succeeded, failed, is still running or was never seen. Of the designs argued for in the thread (replay, 409, locks, unique indexes, isolation levels, stores, queues), which ones charge twice or lose a payment, and under which faults?</p>
<p class="meta">The audit judges every business operation. It failed if it took effect more than once (<b>duplicate</b>), if a client was told it was done and it never happened (<b>lost</b>), if a client was told it failed and it happened (<b>wrong answer</b>), if its clients gave up and nothing happened (<b>stuck</b>), if it happened while every client gave up without an answer (<b>unconfirmed</b>), or if the gateway moved money that no payment row accounts for (<b>orphan charge</b>). Rates are per business operation; red cells are failures.</p>
<nav class="toc">On this page: <a href="#scorecard">Scorecard</a> <a href="#headline">Headline</a> <a href="#edge-cases">Edge cases</a> <a href="#claims">Claims</a> <a href="#strategies">Strategies</a> <a href="#experiments">Experiments</a> <a href="#counterexamples">Counterexamples</a></nav>

<h2 id="scorecard">Scorecard: every strategy over every experiment</h2>
{{if .Scorecard}}{{.Scorecard}}{{else}}<p>No experiment results in this directory yet: <code>make experiments</code> writes them.</p>{{end}}

<h2 id="headline">Headline: two clients at once, at every isolation level</h2>
{{if .HeadlineMissing}}<p>No <code>isolation/cells.json</code> yet: the headline comes from the isolation experiment (<code>make exp-isolation</code>).</p>{{else}}{{.Headline}}{{end}}

<h2 id="edge-cases">Edge cases: every strategy, one operation each</h2>
{{if .EdgeMissing}}<p>No <code>edge-cases.md</code> in this directory yet: <code>make results</code> writes it (<code>idemsim table</code>).</p>{{else}}{{.Edge}}<p>The whole file, with anything else it holds, is on <a href="edge-cases.html">its own page</a> (<a href="edge-cases.md">edge-cases.md</a>).</p>{{end}}

<h2 id="claims">The thread's claims</h2>
{{if .ClaimsMissing}}<p>No <code>claims.txt</code> in this directory yet: <code>make results</code> writes it (<code>idemsim claims &gt; results/claims.txt</code>); then <code>make report</code> again.</p>
{{else}}<p>Each claim is settled by scripted scenarios; <a href="claims.html">the claims page</a> has every scenario, what it showed and the command that replays it.</p>
<ul class="list">
{{range .Claims}}<li><a href="claims.html#claim-{{.N}}">Claim {{.N}}</a>: {{.Text}} <span class="meta">{{if or .Holds .Breaks}}Holds in {{.Holds}}, breaks in {{.Breaks}} {{plural .Breaks "scenario" "scenarios"}}.{{else}}Illustrated by {{len .Results}} {{plural (len .Results) "scenario" "scenarios"}}.{{end}}</span></li>
{{end}}</ul>{{end}}

<h2 id="strategies">Strategies</h2>
<p>Each strategy's page has its verdicts in every experiment, its row of the edge cases, its counterexample and its claims.</p>
{{.Strategies}}

<h2 id="experiments">Experiments</h2>
<ul class="list">
{{range .Experiments}}<li><a href="{{.Href}}">{{.Name}}</a>: {{.Description}} <span class="meta">{{.Figures}} {{plural .Figures "plot" "plots"}}.{{if .Nothing}} {{.Nothing}}{{end}}</span></li>
{{end}}</ul>
{{if .Missing}}<p class="meta">Experiments without results here yet: {{join .Missing ", "}} (<code>make experiments</code>).</p>{{end}}

<h2 id="counterexamples">Counterexamples from the swarm</h2>
{{if .Counterexamples}}<p>For each strategy the swarm caught, its first failing world shrunk to a minimal run that still fails the same way, drawn as a sequence diagram on the strategy's page (all of them: <a href="counterexamples/README.md">counterexamples/</a>).</p>
<ul class="list">
{{range .Counterexamples}}<li><a href="{{strategyLink .Strategy}}#counterexample"><code>{{.Strategy}}</code></a>: {{.Kind}} at {{.Isolation}}, from swarm seed {{.Seed}}, shrunk to {{.To}}</li>
{{end}}</ul>
{{else if .SwarmRan}}<p>The swarm found no failing world.</p>
{{else}}<p>No <code>swarm/cells.json</code> yet (<code>make exp-swarm</code>).</p>
{{end}}
{{template "foot" .}}{{end}}

{{define "experiment"}}{{template "head" .}}
<h1>Experiment {{.Name}}</h1>
<p>{{.Description}}</p>
<p class="meta">Swept: {{.ParamLabel}} (<code>{{.Param}}</code>): {{join .Values ", "}}. {{.SeedsPerCell}} seeds per cell. Strategies: {{range $i, $s := .Strategies}}{{if $i}}, {{end}}{{if $s.Href}}<a href="{{$s.Href}}"><code>{{$s.Text}}</code></a>{{else}}<code>{{$s.Text}}</code>{{end}}{{end}}. Data: <a href="cells.json">cells.json</a>{{if .CSV}}, <a href="{{.CSV}}">cells.csv</a>{{end}}.</p>
{{if .Nothing}}<p class="nothing">{{.Nothing}}</p>{{end}}
{{range .Figures}}<figure>
<a href="{{.SVG}}"><img src="{{.PNG}}" width="{{.W}}" height="{{.H}}" alt="{{.Title}}"></a>
<figcaption>{{.Caption}}</figcaption>
</figure>
{{end}}{{if .Failures}}<h2>First failing seeds</h2>
<p>For each strategy and level that ever failed, the lowest failing seed, its kind, and the command that shows that world; the strategy's page has the shortest of them shrunk and drawn.</p>
<ul class="list">
{{range .Failures}}<li>{{if .Href}}<a href="{{.Href}}"><code>{{.Strategy}}</code></a>{{else}}<code>{{.Strategy}}</code>{{end}} at {{.Isolation}}: {{.Kind}}, seed {{.Seed}}{{if .Shrunk}} (shrunk and drawn){{end}}<br><code>{{.Command}}</code></li>
{{end}}</ul>{{end}}
{{template "foot" .}}{{end}}

{{define "strategy"}}{{template "head" .}}
<h1>Strategy <code>{{.Name}}</code></h1>
<p><b>Rule:</b> {{.Rule}}</p>
<p><b>In the thread:</b> {{.Position}}</p>
<p class="meta">Contract: {{.Contract}}.{{if .Levels}} Isolation levels it is tried at: {{.Levels}}.{{end}}{{if .Switches}} Switches: {{.Switches}}.{{end}}</p>
{{if .Scorecard}}<h2>Scorecard</h2>
{{.Scorecard}}{{end}}
<h2 id="experiments">In the experiments</h2>
{{if .RanIn}}{{.Verdicts}}{{else}}<p>No experiment in this directory runs it.</p>{{end}}
<h2 id="edge-cases">In the edge cases</h2>
{{if .EdgeMissing}}<p>No <code>edge-cases.md</code> row for it (<code>make results</code> writes the file).</p>{{else}}{{.Edge}}{{if .EdgeAbout}}<ul class="md">{{range .EdgeAbout}}<li>{{.}}</li>{{end}}</ul>{{end}}<p class="meta">The cases and how to read a cell: <a href="../edge-cases.html">the edge cases</a>.</p>{{end}}
<h2 id="counterexample">Counterexample</h2>
{{with .Counterexample}}<p>{{.Kind}} at {{.Isolation}}: swarm seed {{.Seed}} (<code>{{.Failure.Command}}</code>), shrunk in {{.Runs}} runs from {{.From}} to {{.To}}. The command replays the minimal run; add <code>--trace</code> for its timeline.</p>
<ul>{{range .Violations}}<li><code>{{.}}</code></li>{{end}}<li>porcupine: <code>{{.Porcupine}}</code></li></ul>
<pre>{{.Command}}</pre>
<figure><a href="../counterexamples/{{.Image}}.png"><img src="../counterexamples/{{.Image}}.png" alt="sequence diagram of the minimal {{.Kind}} for {{.Strategy}} at {{.Isolation}}"></a></figure>
{{else}}<p>The swarm caught no failure of it{{if not $.RanIn}} (or has not run){{end}}.</p>{{end}}
<h2 id="claims">In the thread's claims</h2>
{{if .ClaimsMissing}}<p>No <code>claims.txt</code> yet: <code>make results</code> writes it.</p>
{{else if .Claims}}{{range .Claims}}<h3><a href="../claims.html#claim-{{.Claim.N}}">Claim {{.Claim.N}}</a>: {{.Claim.Text}}</h3>
<ul>
{{range .Results}}<li class="scenario"><code>{{.Name}}</code>{{if .Side}} <span class="{{.Side}}">{{.Side}}</span>{{end}}: {{.Outcome}}<br>{{.Comment}}<br><code>{{.Command}}</code></li>
{{end}}</ul>
{{end}}{{else}}<p>No scenario of the claims runs it.</p>{{end}}
{{template "foot" .}}{{end}}

{{define "claims"}}{{template "head" .}}
<h1>The thread's claims, and what the simulation showed</h1>
{{if .Claims}}<p>Each claim is settled by scripted scenarios (<code>claims/scenarios/</code>); each scenario's comment says on which side of the claim it falls, and its run's audit is what it showed (<code>idemsim claims</code>, recorded in <a href="claims.txt">claims.txt</a>). The command under each replays it with its timeline.</p>
{{else}}<p>No <code>claims.txt</code> in this directory yet: <code>make results</code> writes it (<code>idemsim claims &gt; results/claims.txt</code>); then <code>make report</code> again.</p>
{{end}}{{range .Claims}}<h2 id="claim-{{.N}}">Claim {{.N}}: {{.Text}}</h2>
<p class="meta">{{.About}}</p>
<p>{{if or .Holds .Breaks}}Holds in {{.Holds}} {{plural .Holds "scenario" "scenarios"}}, breaks in {{.Breaks}}.{{else}}Illustrated by the scenarios below.{{end}}</p>
<ul>
{{range .Results}}<li class="scenario"><code>{{.Name}}</code>{{if .Side}} <span class="{{.Side}}">{{.Side}}</span>{{end}}: {{.Outcome}}<br>{{.Comment}}<br><code>{{.Command}}</code></li>
{{end}}</ul>
{{end}}
{{template "foot" .}}{{end}}

{{define "edge"}}{{template "head" .}}
<h1>Every strategy in the standard edge cases</h1>
{{.Body}}
{{template "foot" .}}{{end}}
`))

// newExperimentData is an experiment's page.
func newExperimentData(x *Experiment, figs []Figure, hasCSV bool, cx []Counterexample) experimentData {
	d := experimentData{page: page{Title: "idemsim: experiment " + x.Name, Base: "../", Crumb: "experiment " + x.Name},
		Experiment: x, Nothing: x.NothingLine()}
	if hasCSV {
		d.CSV = "cells.csv"
	}
	d.Values, _ = x.values()
	for _, f := range figs {
		d.Figures = append(d.Figures, pageFigure{
			Title: f.Title, Caption: f.Caption, PNG: f.Name + ".png", SVG: f.Name + ".svg",
			W: pixels(f.W), H: pixels(f.H),
		})
	}
	for _, s := range x.strategies() {
		l := link{Text: s}
		if h := strategyLink(s); h != "" {
			l.Href = "../" + h
		}
		d.Strategies = append(d.Strategies, l)
	}
	if x.Swarm != nil {
		for _, f := range x.Swarm.Failures {
			sf := swarmFailure{Failure: f, Strategy: f.Strategy}
			if h := strategyLink(f.Strategy); h != "" {
				sf.Href = "../" + h + "#counterexample"
			}
			for _, c := range cx {
				sf.Shrunk = sf.Shrunk || c.Failure == f
			}
			d.Failures = append(d.Failures, sf)
		}
	}
	return d
}

// strategyPage is a strategy's page: its rule, its scorecard row, its
// verdicts in every experiment, its edge cases, its counterexample and the
// claims' scenarios that run it.
func strategyPage(name string, xs []*Experiment, score *Table, edge *EdgeCases, cx []Counterexample, cl []Claim, claimsMissing bool) (strategyData, error) {
	s, err := models.Lookup(name)
	if err != nil {
		return strategyData{}, fmt.Errorf("report: %w", err)
	}
	d := strategyData{page: page{Title: "idemsim: strategy " + name, Base: "../", Crumb: "strategy " + name},
		Name: name, Rule: s.Rule, Position: s.Position, Contract: string(s.Contract), ClaimsMissing: claimsMissing}
	var levels []string
	for _, l := range s.Levels {
		levels = append(levels, l.Slug())
	}
	d.Levels = strings.Join(levels, ", ")
	if len(s.Switches) > 0 {
		d.Switches = s.Defaults.Format(s.Switches) + " by default"
	}
	if score != nil {
		for _, r := range score.Rows {
			if len(r) > 0 && r[0].Text == name {
				row := Table{Header: score.Header, Rows: [][]TableCell{r}}
				d.Scorecard = row.HTML("", "../")
			}
		}
	}
	v := VerdictsOf(name, xs)
	d.RanIn = len(v.Rows)
	d.Verdicts = v.HTML("verdicts", "../")
	if edge == nil {
		d.EdgeMissing = true
	} else if row, ok := edge.Row(name); ok {
		d.Edge = row.HTML("edge-row", "../")
		for _, it := range edge.About(name) {
			d.EdgeAbout = append(d.EdgeAbout, inline(it))
		}
	} else {
		d.EdgeMissing = true
	}
	for i := range cx {
		if cx[i].Strategy == name {
			d.Counterexample = &cx[i]
		}
	}
	for _, c := range cl {
		sc := strategyClaim{Claim: c}
		for _, r := range c.Results {
			if r.Strategy() == name {
				sc.Results = append(sc.Results, r)
			}
		}
		if len(sc.Results) > 0 {
			d.Claims = append(d.Claims, sc)
		}
	}
	return d, nil
}

// strategiesTable lists every strategy of the registry with its contract
// and rule, each name linking to its page.
func strategiesTable() Table {
	t := Table{Header: []string{"strategy", "contract", "rule"}}
	for _, s := range models.All() {
		t.Rows = append(t.Rows, []TableCell{{Text: s.Name, Code: true, Link: StrategyPage(s.Name)}, {Text: string(s.Contract)}, {Text: s.Rule}})
	}
	return t
}

// experimentSummaryOf is an experiment as the index lists it.
func experimentSummaryOf(x *Experiment, figs []Figure) experimentSummary {
	return experimentSummary{Name: x.Name, Href: path.Join(x.Name, PageFile), Description: x.Description, Nothing: x.NothingLine(), Figures: len(figs)}
}
