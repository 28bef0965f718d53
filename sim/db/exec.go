package db

import (
	"math"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// exec is one data statement running in a transaction.
type exec struct {
	db   *DB
	s    *Session
	p    *sim.Proc
	tx   *txn
	t    *table
	snap snapshot
	args []sql.Value
}

func (s *Session) run(p *sim.Proc, tx *txn, st sql.Stmt, args []sql.Value) (*Result, *sql.Error) {
	db := s.db
	switch st := st.(type) {
	case *sql.CreateTable:
		if err := db.createTable(st); err != nil {
			return nil, err
		}
		return &Result{Tag: "CREATE TABLE"}, nil
	case *sql.DropTable:
		if err := db.dropTable(st); err != nil {
			return nil, err
		}
		return &Result{Tag: "DROP TABLE"}, nil
	}
	x := &exec{db: db, s: s, p: p, tx: tx, args: args}
	switch st := st.(type) {
	case *sql.Select:
		return x.selectRows(st)
	case *sql.Insert:
		return x.insert(st)
	case *sql.Update:
		return x.update(st)
	case *sql.Delete:
		return x.delete(st)
	}
	return nil, &sql.Error{Code: "0A000", Msg: "statement not supported"}
}

// start resolves the table and takes the statement's snapshot.
func (x *exec) start(name string) *sql.Error {
	t, ok := x.db.tables[name]
	if !ok {
		return undefinedTable(name)
	}
	x.t = t
	x.snap = x.tx.statementSnapshot()
	return nil
}

func (x *exec) value(e sql.Expr) sql.Value {
	if e.Param > 0 {
		return x.args[e.Param-1]
	}
	return e.Value
}

// coerce converts v to column c's type as PostgreSQL does an untyped
// literal: text that spells an integer becomes one; an integer assigned to a
// text column becomes its text (compared with one, it is an error).
func coerce(v sql.Value, c column, assign bool) (sql.Value, *sql.Error) {
	switch {
	case v.IsNull():
		return v, nil
	case c.integer() && v.Kind == sql.TextKind:
		n, err := strconv.ParseInt(strings.TrimSpace(v.Text), 10, 64)
		if err != nil {
			return v, &sql.Error{Code: sql.CodeInvalidText, Msg: "invalid input syntax for type integer: \"" + v.Text + "\""}
		}
		return sql.IntValue(n), nil
	case c.typ == sql.Text && v.Kind == sql.IntKind:
		if !assign {
			return v, &sql.Error{Code: sql.CodeUndefinedFunction, Msg: "operator does not exist: text = integer"}
		}
		return sql.TextValue(strconv.FormatInt(v.Int, 10)), nil
	}
	return v, nil
}

func undefinedColumn(name string) *sql.Error {
	return &sql.Error{Code: sql.CodeUndefinedColumn, Msg: "column \"" + name + "\" does not exist"}
}

// cpred is a predicate resolved against a table.
type cpred struct {
	col  int
	op   sql.PredOp
	mod  int64
	vals []sql.Value
}

func (x *exec) compile(where []sql.Pred) ([]cpred, *sql.Error) {
	out := make([]cpred, 0, len(where))
	for _, p := range where {
		c := x.t.colIndex(p.Col)
		if c < 0 {
			return nil, undefinedColumn(p.Col)
		}
		cp := cpred{col: c, op: p.Op, mod: p.Mod}
		exprs := p.Values
		if p.Op != sql.In {
			exprs = []sql.Expr{p.Value}
		}
		for _, e := range exprs {
			v, err := coerce(x.value(e), x.t.cols[c], false)
			if err != nil {
				return nil, err
			}
			cp.vals = append(cp.vals, v)
		}
		if p.Op == sql.Mod {
			if !x.t.cols[c].integer() {
				return nil, &sql.Error{Code: sql.CodeUndefinedFunction, Msg: "operator does not exist: text % integer"}
			}
			if p.Mod == 0 {
				return nil, &sql.Error{Code: sql.CodeDivisionByZero, Msg: "division by zero"}
			}
		}
		out = append(out, cp)
	}
	return out, nil
}

func match(preds []cpred, vals []sql.Value) bool {
	for _, p := range preds {
		v := vals[p.col]
		if v.IsNull() {
			return false
		}
		switch p.op {
		case sql.Eq, sql.In:
			found := false
			for _, w := range p.vals {
				if v.Equal(w) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		case sql.Mod:
			if p.vals[0].IsNull() || v.Int%p.mod != p.vals[0].Int {
				return false
			}
		}
	}
	return true
}

// access is how a statement finds its rows: through the index of a unique
// column for an equality (or IN) on it, as PostgreSQL's planner would, or
// by scanning the whole table.
type access struct {
	indexed bool
	col     int
	keys    []sql.Value
}

func (x *exec) access(preds []cpred) access {
	for _, p := range preds {
		if (p.op == sql.Eq || p.op == sql.In) && x.t.index[p.col] != nil {
			a := access{indexed: true, col: p.col}
			for _, v := range p.vals {
				if v.IsNull() {
					continue
				}
				dup := false
				for _, k := range a.keys {
					dup = dup || k.Equal(v)
				}
				if !dup {
					a.keys = append(a.keys, v)
				}
			}
			return a
		}
	}
	return access{}
}

// candidates are the rows a scan visits, in heap order for a table scan, in
// key order for an index scan.
func (x *exec) candidates(a access) []*row {
	if !a.indexed {
		return x.t.rows
	}
	if len(a.keys) == 1 {
		return x.t.index[a.col][a.keys[0]]
	}
	var out []*row
	for _, k := range a.keys {
		for _, r := range x.t.index[a.col][k] {
			dup := false
			for _, o := range out {
				dup = dup || o == r
			}
			if !dup {
				out = append(out, r)
			}
		}
	}
	return out
}

// examined are the versions of r a scan looks at: all of them in a table
// scan, those the index points to in an index scan.
func (a access) examined(r *row) []*version {
	if !a.indexed {
		return r.versions
	}
	var out []*version
	for _, v := range r.versions {
		for _, k := range a.keys {
			if v.vals[a.col].Equal(k) {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// predicateLocks takes the serializable transaction's SIREAD locks for a
// scan: the keys it looked up, or the whole table.
func (x *exec) predicateLocks(a access) {
	sx := x.tx.sx
	if sx == nil {
		return
	}
	if !a.indexed {
		x.db.ssi.lock(sx, sireadKey{table: x.t, col: -1})
		return
	}
	for _, k := range a.keys {
		x.db.ssi.lock(sx, sireadKey{table: x.t, col: a.col, value: k})
	}
}

// checkReads flags the rw-conflicts out of a serializable reader for the
// versions of r it examined (HeapCheckForSerializableConflictOut).
func (x *exec) checkReads(a access, r *row) *sql.Error {
	sx := x.tx.sx
	if sx == nil {
		return nil
	}
	for _, v := range a.examined(r) {
		if w := x.writerOf(v); w != nil {
			if err := x.db.ssi.conflictOut(sx, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// writerOf is the transaction whose write the reader's view of v depends
// on, per the tuple's state: an inserter in progress, or the deleter of a
// visible tuple, or the inserter of an invisible one.
func (x *exec) writerOf(v *version) *txn {
	tx := x.tx
	var w *txn
	visible := tx.visible(v, x.snap)
	switch {
	case v.xmin.state == aborted:
		return nil
	case v.xmin != tx && v.xmin.state == active:
		w = v.xmin
	case deletedBy(v, nil) == nil:
		if visible {
			return nil
		}
		w = v.xmin
	case visible:
		w = v.xmax
	default:
		w = v.xmin
	}
	if w == tx {
		return nil
	}
	return w
}

// readVersion is the version of r this statement reads, by level.
func (x *exec) readVersion(r *row) *version {
	switch x.tx.level {
	case sql.DirtyReads:
		return dirtyVersion(r)
	case sql.Serializable2PL:
		// Locks keep writers out of what is read: read the current state.
		return x.tx.visibleVersion(r, snapshot{seq: x.db.seq})
	}
	return x.tx.visibleVersion(r, x.snap)
}

// lock2PL takes strict two-phase locking's predicate locks for a scan:
// shared (or exclusive, for writes) locks on the keys looked up, or on the
// whole table.
func (x *exec) lock2PL(a access, write bool) *sql.Error {
	if x.tx.level != sql.Serializable2PL {
		return nil
	}
	lm := &x.db.locks
	table := resource{kind: resTable, table: x.t}
	if !a.indexed {
		mode := modeS
		if write {
			mode = modeX
		}
		return lm.acquire(x.p, x.tx, table, mode, false)
	}
	intent, mode := modeIS, modeS
	if write {
		intent, mode = modeIX, modeX
	}
	if err := lm.acquire(x.p, x.tx, table, intent, false); err != nil {
		return err
	}
	for _, k := range a.keys {
		if err := lm.acquire(x.p, x.tx, resource{kind: resKey, table: x.t, col: a.col, value: k}, mode, false); err != nil {
			return err
		}
	}
	return nil
}

// scan returns the versions the statement reads that match preds.
func (x *exec) scan(preds []cpred) ([]*version, *sql.Error) {
	a := x.access(preds)
	if err := x.lock2PL(a, false); err != nil {
		return nil, err
	}
	x.predicateLocks(a)
	var out []*version
	for _, r := range x.candidates(a) {
		if err := x.checkReads(a, r); err != nil {
			return nil, err
		}
		if x.tx.level == sql.Serializable2PL && a.indexed {
			if err := x.db.locks.acquire(x.p, x.tx, resource{kind: resRow, row: r}, modeS, false); err != nil {
				return nil, err
			}
		}
		if v := x.readVersion(r); v != nil && match(preds, v.vals) {
			out = append(out, v)
		}
	}
	return out, nil
}

// lockRows finds the rows an UPDATE, DELETE or SELECT ... FOR UPDATE acts
// on and locks them. A row another transaction changed after the snapshot
// is re-read at its newest version and re-checked at read committed
// (EvalPlanQual), and is a serialization failure at repeatable read and
// serializable (first updater wins).
func (x *exec) lockRows(preds []cpred, nowait bool) ([]*version, *sql.Error) {
	a := x.access(preds)
	if err := x.lock2PL(a, true); err != nil {
		return nil, err
	}
	x.predicateLocks(a)
	lm := &x.db.locks
	var out []*version
	for _, r := range x.candidates(a) {
		if err := x.checkReads(a, r); err != nil {
			return nil, err
		}
		res := resource{kind: resRow, row: r}
		if x.tx.level == sql.Serializable2PL {
			if err := lm.acquire(x.p, x.tx, res, modeX, nowait); err != nil {
				return nil, err
			}
		}
		v := x.readVersion(r)
		if v == nil || !match(preds, v.vals) {
			continue
		}
		if x.tx.level == sql.Serializable2PL {
			out = append(out, v)
			continue
		}
		if err := lm.acquire(x.p, x.tx, res, modeX, nowait); err != nil {
			return nil, err
		}
		l := latest(r)
		if l == v && deletedBy(l, x.tx) == nil {
			out = append(out, v)
			continue
		}
		if x.tx.usesTxnSnapshot() {
			x.db.stats.SerializationFailures++
			return nil, &sql.Error{Code: sql.CodeSerializationFailure, Msg: "could not serialize access due to concurrent update"}
		}
		if l == nil || deletedBy(l, x.tx) != nil || !match(preds, l.vals) {
			continue // deleted, or no longer matching: skipped, the lock kept
		}
		out = append(out, l)
	}
	return out, nil
}

func (x *exec) project(p *sql.Projection, versions []*version) (*Result, *sql.Error) {
	res := &Result{HasRows: true}
	switch {
	case p.Count:
		res.Cols = []string{"count"}
		res.Rows = [][]sql.Value{{sql.IntValue(int64(len(versions)))}}
		return res, nil
	case p.Star:
		for _, c := range x.t.cols {
			res.Cols = append(res.Cols, c.name)
		}
		for _, v := range versions {
			res.Rows = append(res.Rows, append([]sql.Value(nil), v.vals...))
			res.Tags = append(res.Tags, v.tag)
		}
		return res, nil
	}
	idx := make([]int, len(p.Cols))
	for i, name := range p.Cols {
		if idx[i] = x.t.colIndex(name); idx[i] < 0 {
			return nil, undefinedColumn(name)
		}
	}
	res.Cols = p.Cols
	for _, v := range versions {
		row := make([]sql.Value, len(idx))
		for i, c := range idx {
			row[i] = v.vals[c]
		}
		res.Rows = append(res.Rows, row)
		res.Tags = append(res.Tags, v.tag)
	}
	return res, nil
}

func (x *exec) selectRows(st *sql.Select) (*Result, *sql.Error) {
	if err := x.start(st.Table); err != nil {
		return nil, err
	}
	preds, err := x.compile(st.Where)
	if err != nil {
		return nil, err
	}
	var versions []*version
	if st.ForUpdate {
		versions, err = x.lockRows(preds, st.NoWait)
	} else {
		versions, err = x.scan(preds)
	}
	if err != nil {
		return nil, err
	}
	res, err := x.project(&st.What, versions)
	if res != nil {
		res.Tag = "SELECT"
	}
	return res, err
}

// writeKeys are the SIREAD locks a write to a row with these values
// conflicts with: the table's, and each unique key's.
func (x *exec) writeKeys(valss ...[]sql.Value) []sireadKey {
	keys := []sireadKey{{table: x.t, col: -1}}
	for _, vals := range valss {
		for _, c := range x.t.uniques {
			if !vals[c].IsNull() {
				keys = append(keys, sireadKey{table: x.t, col: c, value: vals[c]})
			}
		}
	}
	return keys
}

func (x *exec) conflictIn(keys []sireadKey) *sql.Error {
	if x.tx.sx == nil {
		return nil
	}
	err := x.db.ssi.conflictIn(x.tx.sx, keys)
	if err != nil {
		x.db.stats.SerializationFailures++
	}
	return err
}

// liveKey finds a live version other than self whose column c holds v,
// waiting for the transactions that insert or delete one to end, as a
// unique index insertion does. It returns nil if there is none.
func (x *exec) liveKey(c int, v sql.Value, self *row) (*version, *sql.Error) {
restart:
	for _, r := range x.t.index[c][v] {
		if r == self {
			continue
		}
		for i := len(r.versions) - 1; i >= 0; i-- {
			cand := r.versions[i]
			if !cand.vals[c].Equal(v) {
				continue
			}
			switch {
			case cand.xmin.state == aborted:
				continue
			case cand.xmin != x.tx && cand.xmin.state == active:
				if err := x.db.locks.waitForEnd(x.p, x.tx, cand.xmin, false); err != nil {
					return nil, err
				}
				goto restart
			}
			d := deletedBy(cand, nil)
			switch {
			case d == nil:
				return cand, nil
			case d == x.tx || d.state == committed:
				continue
			}
			if err := x.db.locks.waitForEnd(x.p, x.tx, d, false); err != nil {
				return nil, err
			}
			goto restart
		}
	}
	return nil, nil
}

func (x *exec) uniqueViolation(c int, v sql.Value) *sql.Error {
	if err := x.conflictIn([]sireadKey{{table: x.t, col: c, value: v}}); err != nil {
		return err
	}
	name := x.t.name + "_" + x.t.cols[c].name + "_key"
	if x.t.cols[c].pk {
		name = x.t.name + "_pkey"
	}
	return &sql.Error{Code: sql.CodeUniqueViolation, Msg: "duplicate key value violates unique constraint \"" + name + "\""}
}

func (x *exec) insert(st *sql.Insert) (*Result, *sql.Error) {
	if err := x.start(st.Table); err != nil {
		return nil, err
	}
	t := x.t
	target := make([]int, 0, len(t.cols))
	if st.Cols == nil {
		for i := range t.cols {
			target = append(target, i)
		}
	} else {
		for _, name := range st.Cols {
			c := t.colIndex(name)
			if c < 0 {
				return nil, undefinedColumn(name)
			}
			target = append(target, c)
		}
	}
	arbiter := -1 // on conflict (col): the only index whose conflicts are skipped
	if st.OnConflict && st.Conflict != "" {
		arbiter = t.colIndex(st.Conflict)
		if arbiter < 0 {
			return nil, undefinedColumn(st.Conflict)
		}
		if t.index[arbiter] == nil {
			return nil, &sql.Error{Code: sql.CodeInvalidOnConflict, Msg: "there is no unique or exclusion constraint matching the ON CONFLICT specification"}
		}
	}
	var inserted []*version
rows:
	for _, exprs := range st.Rows {
		if len(exprs) > len(target) {
			return nil, &sql.Error{Code: sql.CodeSyntaxError, Msg: "INSERT has more expressions than target columns"}
		}
		if len(exprs) < len(target) && st.Cols != nil {
			return nil, &sql.Error{Code: sql.CodeSyntaxError, Msg: "INSERT has more target columns than expressions"}
		}
		vals := make([]sql.Value, len(t.cols))
		for i, e := range exprs {
			v, err := coerce(x.value(e), t.cols[target[i]], true)
			if err != nil {
				return nil, err
			}
			vals[target[i]] = v
		}
		if err := t.check(vals); err != nil {
			return nil, err
		}
		if x.tx.level == sql.Serializable2PL {
			a := access{indexed: true}
			for _, c := range t.uniques {
				if !vals[c].IsNull() {
					a.col, a.keys = c, []sql.Value{vals[c]}
					if err := x.lock2PL(a, true); err != nil {
						return nil, err
					}
				}
			}
			if len(t.uniques) == 0 {
				if err := x.db.locks.acquire(x.p, x.tx, resource{kind: resTable, table: t}, modeIX, false); err != nil {
					return nil, err
				}
			}
		}
		if st.OnConflict {
			// The speculative pre-check: wait for inserters in progress; a
			// committed conflict skips the row (a serialization failure if
			// the snapshot cannot see it).
			for _, c := range t.uniques {
				if vals[c].IsNull() || arbiter >= 0 && c != arbiter {
					continue
				}
				live, err := x.liveKey(c, vals[c], nil)
				if err != nil {
					return nil, err
				}
				if live == nil {
					continue
				}
				if x.tx.usesTxnSnapshot() && live.xmin != x.tx && !x.snap.sees(live.xmin) {
					x.db.stats.SerializationFailures++
					return nil, &sql.Error{Code: sql.CodeSerializationFailure, Msg: "could not serialize access due to concurrent update"}
				}
				// Skipping the row reads the conflicting one: PostgreSQL takes
				// a SIREAD lock on it (checked against PostgreSQL 15: a
				// concurrent delete of that row is then a rw-conflict).
				if x.tx.sx != nil {
					x.db.ssi.lock(x.tx.sx, sireadKey{table: t, col: c, value: vals[c]})
				}
				continue rows
			}
		}
		if err := x.conflictIn(x.writeKeys()); err != nil {
			return nil, err
		}
		for _, c := range t.uniques {
			if vals[c].IsNull() {
				continue
			}
			live, err := x.liveKey(c, vals[c], nil)
			if err != nil {
				return nil, err
			}
			if live != nil {
				return nil, x.uniqueViolation(c, vals[c])
			}
			if err := x.conflictIn([]sireadKey{{table: t, col: c, value: vals[c]}}); err != nil {
				return nil, err
			}
		}
		t.nextRow++
		r := &row{t: t, id: t.nextRow}
		t.rows = append(t.rows, r)
		v := t.addVersion(r, vals, x.tx)
		inserted = append(inserted, v)
		x.tx.inserted = append(x.tx.inserted, v)
		x.tx.wrote = true
	}
	if st.Returning != nil {
		res, err := x.project(st.Returning, inserted)
		if res != nil {
			res.Tag, res.Affected = "INSERT", len(inserted)
		}
		return res, err
	}
	return &Result{Tag: "INSERT", Affected: len(inserted)}, nil
}

func (x *exec) update(st *sql.Update) (*Result, *sql.Error) {
	if err := x.start(st.Table); err != nil {
		return nil, err
	}
	t := x.t
	type set struct {
		col  int
		val  sql.Value
		incr bool
	}
	sets := make([]set, 0, len(st.Set))
	for _, sc := range st.Set {
		c := t.colIndex(sc.Col)
		if c < 0 {
			return nil, undefinedColumn(sc.Col)
		}
		v, err := coerce(x.value(sc.Value), t.cols[c], !sc.Incr)
		if err != nil {
			return nil, err
		}
		if sc.Incr && !t.cols[c].integer() {
			return nil, &sql.Error{Code: sql.CodeUndefinedFunction, Msg: "operator does not exist: text + integer"}
		}
		sets = append(sets, set{col: c, val: v, incr: sc.Incr})
	}
	versions, err := x.targets(st.Where)
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		vals := append([]sql.Value(nil), v.vals...)
		for _, s := range sets {
			switch {
			case !s.incr:
				vals[s.col] = s.val
			case vals[s.col].IsNull() || s.val.IsNull():
				vals[s.col] = sql.Value{}
			default:
				a, b := vals[s.col].Int, s.val.Int
				sum := a + b
				if (b > 0 && sum < a) || (b < 0 && sum > a) {
					return nil, &sql.Error{Code: sql.CodeNumericOutOfRange, Msg: "bigint out of range"}
				}
				vals[s.col] = sql.IntValue(sum)
			}
		}
		if err := t.check(vals); err != nil {
			return nil, err
		}
		if err := x.conflictIn(x.writeKeys(v.vals, vals)); err != nil {
			return nil, err
		}
		for _, c := range t.uniques {
			if vals[c].IsNull() || vals[c].Equal(v.vals[c]) {
				continue
			}
			if x.tx.level == sql.Serializable2PL {
				a := access{indexed: true, col: c, keys: []sql.Value{vals[c]}}
				if err := x.lock2PL(a, true); err != nil {
					return nil, err
				}
			}
			live, err := x.liveKey(c, vals[c], v.row)
			if err != nil {
				return nil, err
			}
			if live != nil {
				return nil, x.uniqueViolation(c, vals[c])
			}
		}
		v.xmax = x.tx
		x.tx.superseded = append(x.tx.superseded, v)
		t.addVersion(v.row, vals, x.tx)
		x.tx.wrote = true
	}
	return &Result{Tag: "UPDATE", Affected: len(versions)}, nil
}

// targets finds and locks the rows an UPDATE or DELETE acts on.
func (x *exec) targets(where []sql.Pred) ([]*version, *sql.Error) {
	preds, err := x.compile(where)
	if err != nil {
		return nil, err
	}
	return x.lockRows(preds, false)
}

func (x *exec) delete(st *sql.Delete) (*Result, *sql.Error) {
	if err := x.start(st.Table); err != nil {
		return nil, err
	}
	versions, err := x.targets(st.Where)
	if err != nil {
		return nil, err
	}
	for _, v := range versions {
		if err := x.conflictIn(x.writeKeys(v.vals)); err != nil {
			return nil, err
		}
		v.xmax = x.tx
		x.tx.superseded = append(x.tx.superseded, v)
		x.tx.wrote = true
	}
	return &Result{Tag: "DELETE", Affected: len(versions)}, nil
}

// check enforces NOT NULL and the range of 32-bit int columns on a row about
// to be written.
func (t *table) check(vals []sql.Value) *sql.Error {
	for i, c := range t.cols {
		v := vals[i]
		switch {
		case v.IsNull() && c.notNull:
			return &sql.Error{Code: sql.CodeNotNullViolation, Msg: "null value in column \"" + c.name + "\" of relation \"" + t.name + "\" violates not-null constraint"}
		case c.typ == sql.Int && v.Kind == sql.IntKind && (v.Int < math.MinInt32 || v.Int > math.MaxInt32):
			return &sql.Error{Code: sql.CodeNumericOutOfRange, Msg: "integer out of range"}
		}
	}
	return nil
}
