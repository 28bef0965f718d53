package gen

import (
	"cmp"
	"slices"
	"strings"
)

// The lock model. The runners (tools/pgscript and script.Run) do not send a
// statement to a session whose previous statement is still blocked; they
// print `session busy` instead. The generator avoids writing such lines,
// and every interleaving whose outcome PostgreSQL leaves to the operating
// system's scheduler, by tracking, per session, what it may hold and
// whether it may be blocked. The model knows nothing of values or levels,
// so it is conservative: "may block" whenever PostgreSQL could block at
// some level for some outcome of the earlier statements.
//
// Items. A statement may lock or write rows named by items: (table, column,
// value) for the rows whose column has that value, or (table, "", "") for
// rows it cannot name (a predicate on non-key columns). Two items conflict
// when they are on the same table and either names no column, or they name
// different columns (the same row may have both values), or the same column
// and value. Row locks of every mode conflict in the model (FOR SHARE with
// FOR SHARE does not in PostgreSQL: the model over-approximates).
//
// What waits in PostgreSQL, for the statements the templates write: an
// UPDATE, DELETE or SELECT ... FOR UPDATE (any mode, without NOWAIT or SKIP
// LOCKED) on a row another open transaction has locked or modified; an
// INSERT (with or without ON CONFLICT) of a key another open transaction
// has inserted, deleted or updated; nothing else (plain reads never wait;
// SSI aborts instead of waiting). A statement's items cover all of these.
//
// Holding. A session in a transaction holds every item of every statement
// it ran there, succeeded or not, until it commits or rolls back (PostgreSQL
// releases them earlier when the transaction fails; the model cannot know
// when). A session whose statement may be blocked holds that statement's
// items too (it may have locked some rows before waiting), in autocommit
// or not.
//
// Rows known to exist, rows known not to. A primary-key row inserted by
// the setup and never the target of a DELETE since is known to exist; one
// neither inserted by the setup nor named by any INSERT sent so far is known
// not to. A statement other than an INSERT cannot lock or wait for a row
// known not to exist, and an INSERT of such keys (when they are its only
// unique keys) cannot wait: nobody else can have written them.
//
// Sure rows. Some rows a session surely owns once its statement ran in a
// transaction: a row it inserted (or the INSERT failed, and the transaction
// with it), and a row it locked or modified by primary key while the row
// was known to exist. A statement on rows its session surely owns never
// waits, even behind a session queued on one of them: that one waits for
// the owner, not the reverse. Without this, the commonest idempotency
// pattern — lock a key, a second request queues on it, the first updates
// it — would freeze both sessions in the model.
//
// Blocked sessions. A statement that may wait (some other session holds a
// conflicting item) marks its session blocked; it gets no statement until
// no other session holds anything conflicting with that statement (the
// holders ended their transactions). Since the runners wait after each line
// until released statements finish, a session the model frees is no longer
// busy.
//
// One release, one waiter. Two blocked statements released by the same
// commit run concurrently, and which one gets a contended row or key, or
// which one SSI aborts, is up to the scheduler. So a statement that may
// wait is written only if none of the sessions it may wait for may also be
// holding up another blocked session.
//
// Failed transactions. A statement that surely fails (TxnErrors: a
// duplicate of a key the transaction has a row for, a value PostgreSQL
// refuses while it parses or plans the statement, a division by zero on a
// table that is never empty) aborts its transaction at once: PostgreSQL
// releases every lock the transaction held at the error, not at the
// ROLLBACK that follows (the scripts unique-key-freed-by-error and
// unique-key-freed-by-failed-insert in ../../testdata/scripts show it), and
// every later statement but COMMIT or ROLLBACK fails with 25P02 without
// waiting. So the model frees what the session held, and the session's
// statements until its end neither wait nor hold. The error frees at most
// one waiter, as a commit does: the rule below holds for it too.
//
// Deadlocks. A statement that may close a cycle of waits is written only
// when the deadlock is certain (certainDeadlock): PostgreSQL's victim is the
// backend whose deadlock check runs first after the cycle closes, which
// under the runners' timing is the statement that closed it, so that
// statement fails with 40P01 and is not left waiting. After an uncertain
// cycle the model could not tell which session still waits, and would have
// to freeze both.

// item names rows a statement may lock or write.
type item struct{ table, col, val string }

func (a item) conflicts(b item) bool {
	if a.table != b.table {
		return false
	}
	if a.col == "" || b.col == "" || a.col != b.col {
		return true
	}
	return a.val == b.val
}

// isPK says whether it names a row by primary key.
func (it item) isPK() bool {
	return it.table == tKeys && it.col == "key" || it.table != tKeys && it.col == "id"
}

func conflictsAny(as, bs []item) bool {
	for _, a := range as {
		for _, b := range bs {
			if a.conflicts(b) {
				return true
			}
		}
	}
	return false
}

// kind is how a statement interacts with the lock model.
type kind int

const (
	kRead   kind = iota // never waits, takes nothing (SELECT, a failing INSERT)
	kWait               // may wait for conflicting holders, then holds its items
	kNoWait             // never waits (NOWAIT, SKIP LOCKED) but may hold its items
	kBegin              // opens a transaction
	kEnd                // commit or rollback: releases everything
	kOther              // SET TRANSACTION, a stray COMMIT in autocommit: no effect
)

// stmt is a statement with its effect on the model.
type stmt struct {
	text    string
	kind    kind
	items   []item              // rows it may lock or write
	owns    []item              // primary-key rows it surely owns afterwards if they were known to exist
	inserts []item              // primary-key rows it surely owns afterwards (plain INSERT)
	insert  bool                // an INSERT: it waits on keys, not on row locks
	deletes []item              // rows it may delete: no longer known to exist
	next    string              // a statement the session must run next (SET TRANSACTION after a bare BEGIN)
	fails   bool                // it surely fails: in a transaction, the transaction is aborted
	flow    []func(g *gen) stmt // a job-queue worker's next steps, drawn first while its transaction lasts
	inFlow  bool                // it is the first of its session's flow
}

type session struct {
	n       int
	inTxn   bool
	stmts   int // data statements in the open transaction
	held    []item
	sure    map[item]uint8 // sureLocked | sureInserted
	blocked bool
	pending stmt
	next    string
	key     string              // the idempotency key this session's request is about
	failed  bool                // its transaction surely failed: it holds nothing, and no statement of it waits
	rows    map[item]bool       // keys its transaction surely has a row for (inserted or upserted, not deleted since)
	flow    []func(g *gen) stmt // what a job-queue worker does next (Queue)
}

// ownsAll says whether s surely owns every row items name: a statement on
// them never waits, whoever else holds or waits for what (re-locking,
// updating or re-inserting a row one's own transaction locked, wrote or
// deleted does not wait in PostgreSQL).
func (s *session) ownsAll(items []item) bool {
	for _, it := range items {
		if s.sure[it] == 0 {
			return false
		}
	}
	return len(items) > 0
}

// How a session came to own a row surely.
const (
	sureLocked   uint8 = 1 << iota // locked or modified it while it existed
	sureInserted                   // inserted it (or the transaction failed)
)

// gen is one generation: the schema, the sessions, the model, the lines.
type gen struct {
	r        *rng
	cfg      Config
	sc       schema
	sessions []*session
	present  map[item]bool // primary-key rows known to exist
	mayExist []item        // rows that may exist: setup rows, and every row an INSERT was sent for
	steps    []step
	cur      *session // the session a statement is being drawn for
}

// pickSession draws a session, those in a transaction twice as likely:
// overlapping transactions are what the scripts are for.
func (g *gen) pickSession(free []*session) *session {
	var ws []*session
	for _, s := range free {
		ws = append(ws, s)
		if s.inTxn {
			ws = append(ws, s)
		}
	}
	return pick(g.r, ws)
}

func newGen(seed, attempt uint64, cfg Config) *gen {
	g := &gen{r: newRng(seed, attempt), cfg: cfg, present: map[item]bool{}}
	g.sc = g.makeSchema()
	n := MinSessions
	if g.r.chance(2, 5) {
		n = MaxSessions
	}
	for i := 1; i <= n; i++ {
		g.sessions = append(g.sessions, &session{n: i, sure: map[item]uint8{}, key: g.sc.keys[0]})
	}
	return g
}

func (g *gen) on(f Feature) bool { return g.cfg.Features&f == f }

// blockers is the set (bit i for session i+1) of sessions other than s that
// hold an item conflicting with items. A blocked session's pending items
// count, unless its statement is on one row that s surely owns: then that
// session waits for s, not s for it.
func (g *gen) blockers(s *session, items []item) uint8 {
	var m uint8
	for i, o := range g.sessions {
		if o == s {
			continue
		}
		if conflictsAny(items, o.held) {
			m |= 1 << i
			continue
		}
		if o.blocked && !(len(o.pending.items) == 1 && s.sure[o.pending.items[0]] != 0) && conflictsAny(items, o.pending.items) {
			m |= 1 << i
		}
	}
	return m
}

// admissible says whether s may be sent st, and whether s may then be
// blocked. Refused: a statement that may wait for a session that may also
// be releasing another blocked one, and one that may close a cycle of waits
// unless the deadlock is certain (see certainDeadlock): after an uncertain
// one the model could not tell which of the sessions still waits.
func (g *gen) admissible(s *session, st stmt) (ok, mayBlock bool) {
	if st.kind != kWait || s.failed || s.ownsAll(st.items) {
		return true, false
	}
	p := g.blockers(s, st.items)
	if p == 0 {
		return true, false
	}
	// The wait graph with s blocked on st: other blocked sessions may now
	// wait for s too (s may take rows their statements have yet to reach).
	saved := *s
	s.blocked, s.pending = true, st
	defer func() { *s = saved }()
	var self uint8
	waits := make([]uint8, len(g.sessions))
	for i, x := range g.sessions {
		if x == s {
			self = 1 << i
		}
		if x.blocked {
			waits[i] = g.blockers(x, x.pending.items)
		}
		if x != s && x.blocked && waits[i]&p != 0 {
			return false, true
		}
	}
	// Every new edge leads to or from s, so a new cycle goes through s.
	seen, frontier := uint8(0), p
	for frontier != 0 {
		seen |= frontier
		next := uint8(0)
		for i := range g.sessions {
			if frontier&(1<<i) != 0 {
				next |= waits[i]
			}
		}
		frontier = next &^ seen
	}
	if seen&self == 0 {
		return true, true
	}
	if g.certainDeadlock(s, p) {
		// It closes the cycle and fails with 40P01 inside its window, or
		// a transaction had already failed and it does not wait: either
		// way it is not left blocked.
		return true, false
	}
	return false, true
}

// certainDeadlock says whether a statement of s that may wait only for the
// sessions in p closes a two-session cycle PostgreSQL surely detects if the
// statement waits at all: p is one blocked session x, and x surely waits
// for s, because x's statement locks by primary key, with no other
// condition, one row that s has locked or modified while it existed.
// Whatever s then waits for is held by x, so the cycle is real (unless one
// of the transactions had already failed; then nothing waits).
func (g *gen) certainDeadlock(s *session, p uint8) bool {
	for i, x := range g.sessions {
		if p != 1<<i || !x.blocked {
			continue
		}
		st := x.pending
		if st.insert || len(st.items) != 1 || len(st.owns) != 1 || st.owns[0] != st.items[0] {
			return false
		}
		return s.sure[st.items[0]]&sureLocked != 0
	}
	return false
}

// apply records that s ran st.
func (g *gen) apply(s *session, st stmt, mayBlock bool) {
	g.steps = append(g.steps, step{s.n, st.text})
	s.next = st.next
	if s.inTxn && st.kind != kEnd && st.kind != kOther {
		s.stmts++
	}
	switch st.kind {
	case kBegin:
		s.inTxn = true
		// A request is about one key, and requests collide on k1 most:
		// a retry racing the original.
		s.key = pick(g.r, append([]string{g.sc.keys[0], g.sc.keys[0]}, g.sc.keys...))
	case kEnd:
		s.inTxn, s.held, s.sure, s.stmts = false, nil, map[item]uint8{}, 0
		s.failed, s.rows, s.flow = false, nil, nil
	case kWait, kNoWait:
		if mayBlock {
			s.blocked, s.pending = true, st
		} else {
			g.took(s, st)
		}
	}
	if st.inFlow {
		s.flow = s.flow[1:]
	}
	if s.inTxn && !s.failed && len(st.flow) > 0 {
		s.flow = st.flow
	}
	if st.fails && s.inTxn {
		s.failed, s.held, s.sure, s.rows, s.flow = true, nil, map[item]uint8{}, nil, nil
	}
	if st.insert {
		var created []item
		for _, it := range st.items {
			if it.isPK() {
				created = append(created, it)
			}
		}
		if len(created) == 0 {
			// No key named (an identity column): any row may now exist.
			created = append(created, anyRow(strings.Fields(st.text)[2]))
		}
		g.mayExist = append(g.mayExist, created...)
	}
	for _, d := range st.deletes {
		for it := range g.present {
			if it.conflicts(d) {
				delete(g.present, it)
			}
		}
	}
	g.release()
}

// took records that s's statement st ran to completion.
func (g *gen) took(s *session, st stmt) {
	if !s.inTxn || s.failed {
		return
	}
	s.held = append(s.held, st.items...)
	for _, it := range st.owns {
		if g.present[it] {
			s.sure[it] |= sureLocked
		}
	}
	for _, it := range st.inserts {
		s.sure[it] |= sureInserted
	}
	for _, d := range st.deletes {
		for it := range s.rows {
			if it.conflicts(d) {
				delete(s.rows, it)
			}
		}
	}
	if st.insert {
		for _, it := range st.inserts {
			if s.rows == nil {
				s.rows = map[item]bool{}
			}
			s.rows[it] = true
		}
	}
}

// release frees every blocked session nothing conflicts with any more,
// until none changes.
func (g *gen) release() {
	for changed := true; changed; {
		changed = false
		for _, s := range g.sessions {
			if s.blocked && g.blockers(s, s.pending.items) == 0 {
				s.blocked = false
				g.took(s, s.pending)
				s.pending = stmt{}
				changed = true
			}
		}
	}
}

func (g *gen) free() []*session {
	var out []*session
	for _, s := range g.sessions {
		if !s.blocked {
			out = append(out, s)
		}
	}
	return out
}

// run draws the script: a main phase of random statements, then every
// free session ends its transaction, then one free session in autocommit
// reads every table (the final state is what a differential test most
// needs to compare).
func (g *gen) run() {
	target := g.r.between(8, 14)
	if g.r.chance(1, 2) {
		// Every session opens its transaction first: the requests overlap
		// from the start.
		for _, s := range g.sessions {
			g.apply(s, g.begin(), false)
		}
	}
	for len(g.steps) < target {
		if !g.step() {
			break
		}
	}
	for {
		var open []*session
		for _, s := range g.free() {
			if s.inTxn {
				open = append(open, s)
			}
		}
		if len(open) == 0 {
			break
		}
		s := pick(g.r, open)
		if s.next != "" {
			g.apply(s, stmt{text: s.next, kind: kOther}, false)
			continue
		}
		g.apply(s, g.end(), false)
	}
	var idle []*session
	for _, s := range g.free() {
		if !s.inTxn {
			idle = append(idle, s)
		}
	}
	if len(idle) == 0 {
		return
	}
	s := pick(g.r, idle)
	for _, t := range g.sc.tables() {
		g.apply(s, stmt{text: g.sc.finalSelect(t), kind: kRead}, false)
	}
}

// step writes one statement for a random free session; false when no
// admissible statement was found.
func (g *gen) step() bool {
	for try := 0; try < 30; try++ {
		free := g.free()
		if len(free) == 0 {
			return false
		}
		s := g.pickSession(free)
		g.cur = s
		var st stmt
		switch {
		case s.next != "":
			st = stmt{text: s.next, kind: kOther}
		case !s.inTxn:
			switch w := g.r.intn(40); {
			case w < 34:
				st = g.begin()
			case w < 39:
				st = g.data(s)
			default:
				st = g.end() // a stray COMMIT or ROLLBACK: PostgreSQL warns and answers ok
				st.kind = kOther
			}
		default:
			if len(s.flow) > 0 && g.r.chance(3, 4) {
				st = s.flow[0](g)
				st.inFlow = true
				break
			}
			if dl, ok := g.deadlockMove(s); ok && g.r.chance(1, 2) {
				st = dl
				break
			}
			if c, ok := g.contendMove(s); ok && g.r.chance(1, 3) {
				st = c
				break
			}
			// Transactions of one to a few statements: never empty, ending
			// more likely the longer they run.
			if s.stmts > 0 && g.r.chance(s.stmts, s.stmts+8) {
				st = g.end()
			} else {
				st = g.data(s)
			}
		}
		ok, mayBlock := g.admissible(s, st)
		if !ok {
			continue
		}
		g.apply(s, st, mayBlock)
		return true
	}
	return false
}

func (g *gen) begin() stmt {
	switch g.r.intn(9) {
	case 0:
		return stmt{text: "start transaction isolation level {level}", kind: kBegin}
	case 1:
		return stmt{text: "begin isolation level {level}", kind: kBegin}
	case 2:
		return stmt{text: "begin", kind: kBegin, next: "set transaction isolation level {level}"}
	}
	return stmt{text: "begin transaction isolation level {level}", kind: kBegin}
}

func (g *gen) end() stmt {
	return stmt{text: pick(g.r, []string{"commit", "commit", "commit", "commit", "commit", "rollback", "rollback", "end", "abort"}), kind: kEnd}
}

// deadlockMove is a statement that closes a certain deadlock, when one is
// at hand: another session waits for a row s locked, and holds a row s
// does not; s now locks that row. Random templates rarely line this up.
func (g *gen) deadlockMove(s *session) (stmt, bool) {
	for _, x := range g.sessions {
		if x == s || !x.blocked {
			continue
		}
		var rows []item
		for it, how := range x.sure {
			if how&sureLocked != 0 && s.sure[it] == 0 {
				rows = append(rows, it)
			}
		}
		if len(rows) == 0 {
			continue
		}
		slices.SortFunc(rows, func(a, b item) int {
			return cmp.Or(cmp.Compare(a.table, b.table), cmp.Compare(a.val, b.val))
		})
		st := lockStmt(g.r, pick(g.r, rows))
		if ok, mayBlock := g.admissible(s, st); ok && !mayBlock {
			return st, true
		}
	}
	return stmt{}, false
}

// contendMove is a statement on a row another open transaction has surely
// locked, written or inserted: a second request for the same key, which
// waits. Random templates spread over three tables collide less often than
// requests for one key do.
func (g *gen) contendMove(s *session) (stmt, bool) {
	var rows []item
	for _, x := range g.sessions {
		if x == s || x.blocked || !x.inTxn {
			continue
		}
		for it := range x.sure {
			if s.sure[it] == 0 {
				rows = append(rows, it)
			}
		}
	}
	if len(rows) == 0 {
		return stmt{}, false
	}
	slices.SortFunc(rows, func(a, b item) int {
		return cmp.Or(cmp.Compare(a.table, b.table), cmp.Compare(a.val, b.val))
	})
	rows = slices.Compact(rows)
	it := pick(g.r, rows)
	st := lockStmt(g.r, it)
	if it.table == tKeys && g.r.chance(1, 2) {
		st = stmt{text: "insert into idempotency_keys (key, status, version) values (" + quote(it.val) + ", 'started', 1) on conflict do nothing",
			kind: kWait, items: items(it), insert: true}
		if g.on(MixedInserts) && g.r.chance(1, 2) {
			// A plain INSERT queued on the same key: after the holder
			// ends it inserts or fails with 23505, and owns the key
			// either way.
			st.text = strings.TrimSuffix(st.text, " on conflict do nothing")
			st.inserts = items(it)
		}
	}
	if ok, _ := g.admissible(s, st); ok {
		return st, true
	}
	return stmt{}, false
}

// dropAbsent removes from a statement that is not an INSERT the rows it
// names by primary key that surely do not exist (no setup row, no INSERT
// sent for them): it cannot lock or wait for them. One that names no row
// left takes nothing.
func (g *gen) dropAbsent(st *stmt) {
	var kept []item
	for _, it := range st.items {
		if it.isPK() && !conflictsAny([]item{it}, g.mayExist) {
			continue
		}
		kept = append(kept, it)
	}
	if len(kept) == 0 {
		st.kind, st.items, st.owns = kRead, nil, nil
		return
	}
	st.items = kept
}

// newKeys marks an INSERT whose only unique keys are primary keys that
// surely do not exist: nobody else can have written them, so it does not
// wait, and it inserts them (or fails, failing the transaction): it owns
// them afterwards.
func (g *gen) newKeys(st *stmt) {
	for _, it := range st.items {
		if !it.isPK() || conflictsAny([]item{it}, g.mayExist) {
			return
		}
	}
	st.kind, st.inserts = kNoWait, st.items
}

// data draws a data statement for s from the enabled templates.
func (g *gen) data(s *session) stmt {
	var ts []*template
	total := 0
	for i := range drawn {
		t := &drawn[i]
		if g.cfg.Features&t.needs != t.needs || g.cfg.Features&t.off != 0 || !g.sc.has(t.table) {
			continue
		}
		if t.when != nil && !t.when(g) {
			continue
		}
		ts = append(ts, t)
		total += t.weight
	}
	w := g.r.intn(total)
	for _, t := range ts {
		if w < t.weight {
			st := t.build(g)
			st.insert = strings.HasPrefix(st.text, "insert")
			switch {
			case !st.insert && (st.kind == kWait || st.kind == kNoWait):
				g.dropAbsent(&st)
			case st.insert && st.kind == kWait:
				g.newKeys(&st)
			}
			return st
		}
		w -= t.weight
	}
	panic("unreachable")
}
