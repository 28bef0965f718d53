// Package diagram draws a run as a sequence diagram: one lifeline per node
// (clients, servers, the database, the store, the gateway, the queue),
// virtual time running down the page one event per row with the time in
// the left margin, messages as arrows from sender to receiver, lost
// messages ending in a cross, crashes as solid bars and pauses as hatched
// bars over the node's downtime, partitions as dashed rules, and the
// ledger effects that broke the oracle's rules in red.
//
// The picture is made from world.Result.Events, which are the lines of the
// run's printed trace, so what it shows is what --trace prints. Lines that
// an arrow already tells (a client's attempt, a server starting on a
// request and answering it) get no row of their own, and a long run of
// attempts that all went the same way is drawn as its first two, one line
// that counts the rest, and its last.
package diagram

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/vg"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// DefaultMaxRows bounds the rows of a diagram when Options.MaxRows is 0.
const DefaultMaxRows = 300

// Options choose what a diagram shows.
type Options struct {
	// Op restricts the diagram to one operation's events and to what
	// happens to whole nodes (crashes, pauses, partitions), as
	// `idemsim run --trace-op` does. With Op nil a run that needs more
	// than MaxRows rows is restricted to its first violation's operation.
	Op *api.OpID
	// MaxRows caps the rows drawn (0: DefaultMaxRows); the picture says
	// how many were left out.
	MaxRows int
	// Linearization, if set, is porcupine's check of the run: the
	// partitions it found illegal are named under the title with the
	// audit's violations (a breach the audit cannot see would otherwise
	// read "no violation").
	Linearization *check.Linearization
}

// Diagram is a run laid out as a sequence diagram, ready to draw.
type Diagram struct {
	title      string
	verdicts   []verdict // the violations named under the title
	notes      []string  // what the picture leaves out
	lifelines  []lifeline
	rows       []row
	spans      []span
	arrivals   map[int]int    // departure row -> arrival row
	departures map[int]int    // arrival row -> departure row
	index      map[string]int // lifeline by node name
	timeW      vg.Length      // the time column
	gap        vg.Length      // between lifelines
	width      vg.Length
	height     vg.Length
	headerY    vg.Length // top of the lifeline name boxes
	rowsEnd    vg.Length // bottom of the last row
	fonts      faces
	legend     []legendPlace
	legendY    vg.Length // top of the legend
}

type verdict struct {
	text string
	bad  bool
}

// lifeline is one node's column.
type lifeline struct {
	name, role string
	x          vg.Length
}

// row is one event drawn on its own line.
type row struct {
	ev    world.Event
	y     vg.Length // the row's centre, from the top of the picture
	gapAt vg.Length // >0: a break in time is drawn centred here, above the row
	gap   sim.Duration
	text  string // the label drawn
	hot   bool   // the effect or conclusion that broke a rule
	fold  bool   // the line that stands for attempts left out (foldRepeats)
}

// span is a crash or a pause on one lifeline: from its row to the row of
// the node's restart or thaw, or past the last row when that is not drawn.
type span struct {
	node         int
	pause        bool
	fromY, endsY vg.Length
}

// faces are the fonts of a diagram: Liberation Sans, which gonum embeds.
type faces struct {
	text, small, title, name font.Face
}

func newFaces() faces {
	cache := font.NewCache(liberation.Collection())
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	return faces{
		text:  cache.Lookup(sans, 8.5),
		small: cache.Lookup(sans, 7),
		title: cache.Lookup(sans, 11),
		name:  cache.Lookup(sans, 10),
	}
}

// Layout measures, in points.
const (
	margin     vg.Length = 12
	rowH       vg.Length = 18
	timeGapH   vg.Length = 12 // the break drawn where virtual time jumps
	headerH    vg.Length = 30
	footerH    vg.Length = 18
	noteOffset vg.Length = 8 // a note starts this far right of its lifeline
	minGap     vg.Length = 110
	maxGap     vg.Length = 250
	maxLabel             = 72 // characters; longer labels end in an ellipsis
	// timeJump is the pause between two rows worth a visible break.
	timeJump = 50 * time.Millisecond
)

// New lays out res's events as a sequence diagram, highlighting the
// effects and conclusions behind rep's violations. The run must have kept
// its trace (Config.KeepTrace).
func New(res *world.Result, rep check.Report, opts Options) (*Diagram, error) {
	if res == nil {
		return nil, errors.New("diagram: no run")
	}
	if !res.Config.KeepTrace {
		return nil, errors.New("diagram: the run kept no trace (set Config.KeepTrace)")
	}
	maxRows := opts.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	d := &Diagram{fonts: newFaces(), arrivals: make(map[int]int), departures: make(map[int]int)}
	op := opts.Op
	events, folded := foldRepeats(drawn(res.Events(op)))
	if first, ok := firstBroken(rep, opts.Linearization); op == nil && len(events) > maxRows && ok {
		whole := len(events)
		op = &first
		events, folded = foldRepeats(drawn(res.Events(op)))
		d.notes = append(d.notes, fmt.Sprintf("a long run (%d rows): only %s's events are drawn, with the crashes, pauses and partitions", whole, first))
	}
	if len(events) > maxRows {
		d.notes = append(d.notes, fmt.Sprintf("the first %d of %d rows are drawn; the rest are left out", maxRows, len(events)))
		events = events[:maxRows]
	}
	if len(events) == 0 {
		d.notes = append(d.notes, "nothing to draw: no event of the run concerns it")
	}
	d.title = title(res, op)
	d.verdicts = verdicts(rep, opts.Linearization, op)
	hot := highlights(res, rep)
	for i, ev := range events {
		r := row{ev: ev, text: ev.Label, fold: folded[i]}
		if why, ok := hot.of(ev); ok && !r.fold {
			r.text, r.hot = ev.Label+" — "+why, true
		}
		d.rows = append(d.rows, r)
	}
	d.layout(res.Nodes())
	return d, nil
}

// drawn keeps the events that get a row: an attempt, a server starting on
// a request and its answer are told by the arrows of their messages.
func drawn(events []world.Event) []world.Event {
	out := events[:0:0]
	for _, ev := range events {
		switch ev.Kind {
		case world.EventAttempt, world.EventHandle, world.EventAnswer:
			continue
		}
		out = append(out, ev)
	}
	return out
}

// firstBroken is the operation of the audit's first violation, else the
// first operation of the first partition porcupine found illegal.
func firstBroken(rep check.Report, lin *check.Linearization) (api.OpID, bool) {
	if len(rep.Violations) > 0 {
		return rep.Violations[0].Op, true
	}
	if lin != nil {
		for _, p := range lin.Partitions {
			if p.Verdict == check.Illegal && len(p.Ops) > 0 {
				return p.Ops[0], true
			}
		}
	}
	return api.OpID{}, false
}

func title(res *world.Result, op *api.OpID) string {
	cfg := res.Config
	s := fmt.Sprintf("%s, seed %d: %s, %s x %s", cfg.Strategy.Name, cfg.Seed,
		plural(cfg.Servers, "server"), plural(cfg.Clients, "client"), plural(cfg.OpsPerClient, "op"))
	if op != nil {
		s += " — operation " + op.String()
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// verdicts are the lines under the title: the audit's violations, then
// the partitions porcupine found illegal (of op, when the diagram is
// restricted to it), at most three, or that there is none.
func verdicts(rep check.Report, lin *check.Linearization, op *api.OpID) []verdict {
	var lines []string
	for _, v := range rep.Violations {
		if op == nil || v.Op == *op {
			lines = append(lines, v.String())
		}
	}
	if lin != nil {
		for _, p := range lin.Partitions {
			if p.Verdict != check.Illegal || op != nil && !slices.Contains(p.Ops, *op) {
				continue
			}
			names := make([]string, len(p.Ops))
			for i, o := range p.Ops {
				names[i] = o.String()
			}
			line := "non-linearizable " + strings.Join(names, ", ")
			if p.Breach != "" {
				line += " (porcupine: " + string(p.Breach) + ")"
			}
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		return []verdict{{text: "no violation"}}
	}
	var out []verdict
	for i, l := range lines {
		if i == 3 {
			out = append(out, verdict{text: fmt.Sprintf("and %d more", len(lines)-3), bad: true})
			break
		}
		out = append(out, verdict{text: l, bad: true})
	}
	return out
}

// effect names one ledger effect as the ledger and the events both do.
type effect struct {
	source, row string
	deleted     bool
}

// hot says which ledger effects and which conclusions broke a rule, and
// why.
type hot struct {
	effects     map[effect]string
	conclusions map[api.OpID]string
}

// highlights finds what broke each violation: for a duplicate, every
// effect of the operation after its first from the same source (the second
// payments row, the second charge); for a wrong answer, every effect and
// the conclusion that denied them; for an orphan charge, the charges no
// payment row records (the operation's last ones); for a lost, stuck or
// unconfirmed operation, the conclusion.
func highlights(res *world.Result, rep check.Report) hot {
	h := hot{effects: make(map[effect]string), conclusions: make(map[api.OpID]string)}
	kinds := make(map[api.OpID][]check.Kind)
	for _, v := range rep.Violations {
		kinds[v.Op] = append(kinds[v.Op], v.Kind)
		switch v.Kind {
		case check.Lost:
			h.conclusions[v.Op] = "lost: nothing took effect"
		case check.Stuck:
			h.conclusions[v.Op] = "stuck: nothing took effect"
		case check.WrongAnswer:
			h.conclusions[v.Op] = "wrong answer: it took effect"
		case check.Unconfirmed:
			h.conclusions[v.Op] = "unconfirmed: it took effect, untold"
		}
	}
	// An orphan charge is each of the operation's last charges beyond the
	// payment rows that record one.
	orphans := make(map[api.OpID]int)
	for _, v := range rep.Violations {
		if v.Kind == check.OrphanCharge {
			orphans[v.Op] = v.Orphans
		}
	}
	charges := make(map[api.OpID]int)
	for _, row := range res.Ledger {
		if row.Source == world.SourceGateway {
			charges[row.Op]++
		}
	}
	type sourceOp struct {
		e  effect
		op api.OpID
	}
	seen := make(map[sourceOp]int)
	for _, row := range res.Ledger {
		e := effect{source: row.Source, row: row.ID, deleted: row.Deleted}
		k := sourceOp{effect{source: row.Source, deleted: row.Deleted}, row.Op}
		seen[k]++
		var why []string
		for _, kind := range kinds[row.Op] {
			switch {
			case kind == check.Duplicate && seen[k] > 1:
				why = append(why, "duplicate")
			case kind == check.WrongAnswer:
				why = append(why, "wrong answer")
			case kind == check.OrphanCharge && row.Source == world.SourceGateway && seen[k] > charges[row.Op]-orphans[row.Op]:
				why = append(why, "orphan charge: no payment row records it")
			}
		}
		if len(why) > 0 {
			h.effects[e] = strings.Join(why, ", ")
		}
	}
	return h
}

// of says whether ev is a highlighted effect or conclusion, and why.
func (h hot) of(ev world.Event) (string, bool) {
	var e effect
	switch ev.Kind {
	case world.EventLedgerRow, world.EventCharge:
		e = effect{source: ev.Source, row: ev.Row}
	case world.EventLedgerDelete:
		e = effect{source: ev.Source, row: ev.Row, deleted: true}
	case world.EventConclude:
		why, ok := h.conclusions[ev.Op]
		return why, ok
	default:
		return "", false
	}
	why, ok := h.effects[e]
	return why, ok
}

// roles name what each node is, under its name.
func role(name string) string {
	switch {
	case name == "db":
		return "database"
	case name == "kv":
		return "store"
	case name == "gateway", name == "queue":
		return name
	case strings.HasPrefix(name, "c"):
		return "client"
	case strings.HasPrefix(name, "s"):
		return "server"
	}
	return ""
}

// layout places the lifelines and the rows, pairs each message's departure
// with its arrival, and finds the crashes' and pauses' spans.
func (d *Diagram) layout(nodes []string) {
	used := make(map[string]bool)
	for _, r := range d.rows {
		used[r.ev.Node], used[r.ev.From], used[r.ev.To] = true, true, true
	}
	index := make(map[string]int)
	for _, n := range nodes {
		if used[n] {
			index[n] = len(d.lifelines)
			d.lifelines = append(d.lifelines, lifeline{name: n, role: role(n)})
		}
	}
	for i := range d.rows {
		d.rows[i].text = ellipsis(d.rows[i].text)
	}
	d.pair()

	// The time column fits the latest time; the lifelines are as far apart
	// as the longest arrow label needs, within bounds; the picture is as
	// wide as its last lifeline and every text drawn.
	f := d.fonts
	d.timeW = f.text.Width("0.000000s") + 14
	if n := len(d.rows); n > 0 {
		d.timeW = max(d.timeW, f.text.Width(d.rows[n-1].ev.At.String())+14)
	}
	d.gap = minGap
	for i := range d.rows {
		if d.isArrow(i) {
			d.gap = max(d.gap, min(maxGap, f.text.Width(d.arrowText(i))+28))
		}
	}
	for _, l := range d.lifelines {
		d.gap = max(d.gap, f.name.Width(l.name)+24, f.small.Width(l.role)+24)
	}
	x := margin + d.timeW + d.gap/2
	for i := range d.lifelines {
		d.lifelines[i].x = x
		x += d.gap
	}
	d.width = x - d.gap/2
	for i, r := range d.rows {
		w := f.text.Width(d.arrowText(i))
		var end vg.Length
		switch {
		case r.ev.Kind == world.EventPartition || r.ev.Kind == world.EventHeal:
			x1, _ := d.ruleSpan()
			end = x1 + w + 4
		case d.isArrow(i):
			x1 := d.lifelines[index[r.ev.From]].x
			end = x1 + 5 + w
			if d.lifelines[index[r.ev.To]].x < x1 {
				end = x1
			}
		case r.ev.Node != "":
			// A note, at most 6 points wider with its box, beside the
			// node or (for a message's fate) beside its receiver.
			x := d.lifelines[index[r.ev.Node]].x
			if r.ev.To != "" {
				x = max(x, d.lifelines[index[r.ev.To]].x)
			}
			end = x + noteOffset + w + 6
		}
		d.width = max(d.width, end+margin)
	}
	d.width = max(d.width, f.title.Width(d.title)+2*margin)
	for _, v := range d.verdicts {
		d.width = max(d.width, f.text.Width(v.text)+2*margin)
	}
	for _, n := range d.notes {
		d.width = max(d.width, f.text.Width(n)+2*margin)
	}

	// Top to bottom: the title, the verdicts and notes, the lifelines'
	// names, the rows (with a break where time jumps), the names again,
	// the legend.
	y := margin + 12
	y += 14 * vg.Length(len(d.verdicts)+len(d.notes))
	d.headerY = y + 6
	y = d.headerY + headerH + 8
	var prev sim.Time
	for i := range d.rows {
		r := &d.rows[i]
		if i > 0 && r.ev.At.Sub(prev) >= timeJump {
			r.gap = r.ev.At.Sub(prev)
			r.gapAt = y + timeGapH/2
			y += timeGapH
		}
		r.y = y + rowH/2
		y += rowH
		prev = r.ev.At
	}
	d.rowsEnd = y + 6
	d.legendY = d.rowsEnd + footerH + 10
	var legendH vg.Length
	d.legend, legendH = placeLegend(d.fonts, d.rows, d.width)
	d.height = d.legendY + legendH + margin

	// Crashes last until the node's restart, pauses until it runs again.
	for i, r := range d.rows {
		var end world.EventKind
		switch r.ev.Kind {
		case world.EventCrash:
			end = world.EventRestart
		case world.EventPause:
			end = world.EventThaw
		default:
			continue
		}
		s := span{node: index[r.ev.Node], pause: end == world.EventThaw, fromY: r.y, endsY: d.rowsEnd}
		for j := i + 1; j < len(d.rows); j++ {
			if d.rows[j].ev.Kind == end && d.rows[j].ev.Node == r.ev.Node {
				s.endsY = d.rows[j].y
				break
			}
		}
		d.spans = append(d.spans, s)
	}
	d.index = index
}

// pair links each message's departure (sent, or a duplicate's copy) with
// its arrival (delivered, late, or cut on the way) when both are drawn.
func (d *Diagram) pair() {
	pending := make(map[string]int)
	for i, r := range d.rows {
		switch r.ev.Kind {
		case world.EventSent, world.EventDuplicated:
			pending[r.ev.Message] = i
		case world.EventDelivered, world.EventLate, world.EventCut:
			if j, ok := pending[r.ev.Message]; ok {
				d.arrivals[j], d.departures[i] = i, j
				delete(pending, r.ev.Message)
			}
		}
	}
}

// isArrow reports whether row i is drawn as (part of) an arrow between two
// lifelines rather than as a note on one.
func (d *Diagram) isArrow(i int) bool {
	switch d.rows[i].ev.Kind {
	case world.EventSent, world.EventDuplicated, world.EventDelivered, world.EventDropped, world.EventReset,
		world.EventCut, world.EventSQL, world.EventDBFault, world.EventKV, world.EventGateway,
		world.EventGatewayFault, world.EventQueue:
		return true
	}
	return false
}

// arrowText is what row i says: an arrow's label with the message's fate
// when it was lost, or a note.
func (d *Diagram) arrowText(i int) string {
	r := d.rows[i]
	if r.fold {
		return r.text
	}
	switch r.ev.Kind {
	case world.EventSent, world.EventDuplicated:
		if j, ok := d.arrivals[i]; ok && d.rows[j].ev.Kind == world.EventLate {
			return r.text + " — arrives late: nobody waits"
		}
	case world.EventDropped:
		return r.text + " — dropped"
	case world.EventReset:
		return r.text + " — reset, never sent"
	case world.EventCut:
		return r.text + " — cut by a partition"
	case world.EventDelivered:
		return ""
	case world.EventLate:
		if _, ok := d.departures[i]; ok {
			return "" // its departure says so
		}
		return r.text + " — late: nobody waits"
	case world.EventBroken:
		return "connection broke: " + r.text + " lost"
	case world.EventBackoff:
		return "waits " + round(r.ev.Duration).String()
	}
	return r.text
}

func ellipsis(s string) string {
	if len([]rune(s)) <= maxLabel {
		return s
	}
	return string([]rune(s)[:maxLabel-1]) + "…"
}

// ruleSpan is where a partition's rule runs: across the lifelines, or
// along the top of an empty picture.
func (d *Diagram) ruleSpan() (x1, x2 vg.Length) {
	if len(d.lifelines) == 0 {
		x1 = margin + d.timeW
		return x1, x1 + minGap
	}
	return d.lifelines[0].x - 16, d.lifelines[len(d.lifelines)-1].x + 16
}

// Size is the picture's size in points.
func (d *Diagram) Size() (w, h vg.Length) { return d.width, d.height }
