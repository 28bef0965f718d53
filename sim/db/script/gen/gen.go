// Package gen generates random interleaved multi-session SQL scripts over
// idempotency-shaped tables, for the differential test of the simulated
// database against PostgreSQL (tools/pgscript -random records them; the
// script package's tests replay the recordings).
//
// A script is a pure function of its seed and Config: the generator draws
// from its own splitmix64 stream (not math/rand, whose algorithms may change
// between Go releases), so a committed script can always be regenerated from
// the seed in its name. It never consults the database it is testing: which
// statements may block is decided by a conservative lock model of its own
// (model.go), so that a rewrite of the engine cannot change what a seed
// generates.
//
// Statements come from a list of templates (templates.go). Each names the
// features beyond today's dialect it needs; a template whose features are
// off is never drawn and draws nothing, so switching features on leaves the
// scripts of the default Config unchanged.
package gen

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Feature is a piece of PostgreSQL's SQL beyond the dialect the simulator
// parses today (sim/db/sql's grammar). Templates that need one are drawn
// only when it is on; every such template is valid PostgreSQL 15.
type Feature uint32

// The features templates can be switched on for.
const (
	Returning  Feature = 1 << iota // RETURNING on UPDATE and DELETE
	Identity                       // bigserial and identity columns
	Upsert                         // INSERT ... ON CONFLICT (cols) DO UPDATE
	OrderLimit                     // ORDER BY ... LIMIT
	SkipLocked                     // FOR UPDATE SKIP LOCKED
	LockModes                      // FOR NO KEY UPDATE, FOR SHARE
	Time                           // timestamptz, interval, now()
	Predicates                     // OR, < and >, IS [NOT] NULL
	Boolean                        // boolean columns
	// The shapes of idempotency code, added once the simulator took them
	// (issue 17). New features go last: a script's provenance line spells
	// its features by name, so the old lines still parse to what they meant.
	Alias           // INSERT ... AS alias, and the table's own name as qualifier, in DO UPDATE's SET and RETURNING
	UpsertWhere     // ON CONFLICT ... DO UPDATE ... WHERE on the target row and on excluded
	InsertReturning // RETURNING * and expressions on INSERT
	Queue           // job-queue flows: claim with ORDER BY, SKIP LOCKED and LIMIT, update the job by id, read again
	MixedInserts    // plain and ON CONFLICT inserts of one key from several sessions
	TxnErrors       // statements that surely fail inside a transaction (23505, 22012, 22P02), then 25P02 until it ends
	numFeatures
)

// AllFeatures is every feature on. Scripts recorded with "all" before a
// feature was added record the list they had by name (Feature.String), so
// widening AllFeatures changes none of them.
const AllFeatures = numFeatures - 1

var featureNames = [...]string{"returning", "identity", "upsert", "order-limit", "skip-locked", "lock-modes", "time", "predicates", "boolean",
	"alias", "upsert-where", "insert-returning", "queue", "mixed-inserts", "txn-errors"}

// String lists the features by name, comma-separated; "none" when empty.
func (f Feature) String() string {
	if f == 0 {
		return "none"
	}
	var names []string
	for i, n := range featureNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// FeatureNames lists every feature's name.
func FeatureNames() []string { return append([]string(nil), featureNames[:]...) }

// ParseFeatures reads a comma-separated list of feature names, or "none",
// or "all".
func ParseFeatures(s string) (Feature, error) {
	switch strings.TrimSpace(s) {
	case "", "none":
		return 0, nil
	case "all":
		return AllFeatures, nil
	}
	var f Feature
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		found := false
		for i, n := range featureNames {
			if n == part {
				f |= 1 << i
				found = true
			}
		}
		if !found {
			return 0, fmt.Errorf("unknown feature %q (want none, all, or some of: %s)", part, strings.Join(featureNames[:], ", "))
		}
	}
	return f, nil
}

// Config selects what the generator may draw.
type Config struct {
	Features Feature // templates beyond today's dialect; 0 for the dialect the simulator parses
}

// Limits of a script: sessions and session statements.
const (
	MinSessions = 2
	MaxSessions = 3
	MinSteps    = 6
	MaxSteps    = 20
)

// Script is one generated script.
type Script struct {
	Seed   uint64
	Config Config
	Name   string // Name(Seed)
	Text   string // the file: levels header, provenance comments, setup, session lines
	Steps  int    // session statements
}

// Name is the file name (without .sql) of the script of seed.
func Name(seed uint64) string { return fmt.Sprintf("s%05d", seed) }

// SeedOf reads the seed back from a Name.
func SeedOf(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, "s")
	if !ok || len(digits) < 5 {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || Name(n) != name {
		return 0, false
	}
	return n, true
}

// Levels is the levels header every generated script opens with: each
// script runs at PostgreSQL's four levels.
const Levels = "# levels: read uncommitted, read committed, repeatable read, serializable"

// Generate returns the script of seed under cfg. A draw that ends outside
// [MinSteps, MaxSteps] session statements (every session stalled early) is
// redrawn from a stream derived from the seed and the attempt, so the result
// is still a function of the seed alone.
func Generate(seed uint64, cfg Config) Script {
	for attempt := uint64(0); ; attempt++ {
		g := newGen(seed, attempt, cfg)
		g.run()
		if len(g.steps) >= MinSteps && len(g.steps) <= MaxSteps {
			return Script{Seed: seed, Config: cfg, Name: Name(seed), Text: g.text(seed), Steps: len(g.steps)}
		}
	}
}

// ConfigOf reads back the Config a generated script's text records in its
// provenance line.
func ConfigOf(text string) (Config, bool) {
	_, rest, ok := strings.Cut(text, "(features: ")
	if !ok {
		return Config{}, false
	}
	list, _, ok := strings.Cut(rest, ")")
	if !ok {
		return Config{}, false
	}
	f, err := ParseFeatures(list)
	if err != nil {
		return Config{}, false
	}
	return Config{Features: f}, true
}

// rng is splitmix64: tiny, and fixed forever, so seeds stay meaningful.
type rng struct{ s uint64 }

func newRng(seed, attempt uint64) *rng {
	return &rng{s: seed*0x9e3779b97f4a7c15 ^ (attempt+1)*0xd1b54a32d192ed03}
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// intn returns a number in [0, n) by multiply-shift.
func (r *rng) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// chance is true num times in den.
func (r *rng) chance(num, den int) bool { return r.intn(den) < num }

// between returns a number in [lo, hi].
func (r *rng) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// step is one session line.
type step struct {
	session int
	text    string
}

// text renders the script file.
func (g *gen) text(seed uint64) string {
	var b strings.Builder
	b.WriteString(Levels + "\n")
	fmt.Fprintf(&b, "# Generated by sim/db/script/gen from seed %d (features: %s): %d sessions, %d statements.\n",
		seed, g.cfg.Features, len(g.sessions), len(g.steps))
	b.WriteString("# Regenerate and re-record with scripts/pg15-random.sh; do not edit by hand.\n")
	for _, l := range g.sc.setup {
		b.WriteString(l + "\n")
	}
	for _, s := range g.steps {
		fmt.Fprintf(&b, "t%d: %s\n", s.session, s.text)
	}
	return b.String()
}
