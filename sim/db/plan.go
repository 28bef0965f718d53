package db

import (
	"math"
	"strconv"
	"strings"

	"github.com/idemsim/idemsim/sim/db/sql"
)

// A statement is compiled once per parsed statement and table (and kept in
// DB.plans, as PostgreSQL keeps a prepared statement's plan): column names
// resolved, types checked and literals converted as PostgreSQL's analysis
// does — with its SQLSTATEs — and the access path chosen. Parameters are
// typed by where they stand and converted when the statement runs.

// plan is a statement compiled against its table.
type plan struct {
	t *table
	// SELECT, UPDATE, DELETE.
	where  *cexpr // nil: every row
	access access
	// SELECT.
	proj  projection
	order []orderKey
	limit *cexpr // nil: no limit
	lock  lockMode
	wait  sql.WaitPolicy
	// UPDATE, and ON CONFLICT DO UPDATE.
	sets   []setExpr
	keySet bool // a SET assigns a key column: the update may take FOR UPDATE
	// INSERT.
	target    []int      // the column of each VALUES position
	rows      [][]*cexpr // per row and position; nil for DEFAULT
	onConfl   bool
	arbiters  []*index // ON CONFLICT's arbiter indexes
	doUpdate  bool
	conflWher *cexpr
	// INSERT, UPDATE, DELETE ... RETURNING.
	ret *projection
}

// projection is what a SELECT or RETURNING yields.
type projection struct {
	count bool
	cols  []int    // the columns returned, in order
	names []string // their names (shared: callers must not modify Result.Cols)
}

type setExpr struct {
	col int
	e   *cexpr
}

type orderKey struct {
	col              int
	desc, nullsFirst bool
}

// access is how a statement finds its rows: through a unique index whose
// every column a top-level conjunct of WHERE pins by equality or IN, as
// PostgreSQL's planner would, or by scanning the whole table.
type access struct {
	ix   *index
	keys [][]*cexpr // per index column: the values it may equal
}

// opCastText is an internal operator: Args[0] printed as text, for an
// assignment of another type to a text column.
const opCastText = sql.Op(200)

// cexpr is a compiled expression.
type cexpr struct {
	op      sql.Op
	typ     sql.Type  // the result's type; 0 while unknown (a string literal, NULL or parameter with no context yet)
	val     sql.Value // OpConst
	col     int       // OpColumn
	excl    bool      // OpColumn: a column of ON CONFLICT's proposed row
	param   int       // OpParam: 0-based
	want    sql.Type  // OpParam: the type its value is converted to
	assign  bool      // OpParam: converted as for an assignment
	args    []*cexpr
	set     map[sql.Value]bool // OpIn, OpNotIn of constants: the non-NULL ones
	setNull bool               // ... and whether one was NULL
}

// scope is where an expression is compiled: which columns it may name.
type scope struct {
	t        *table
	noCols   bool // VALUES: no column may be named
	excluded bool // ON CONFLICT DO UPDATE: excluded.c, and t.c; a bare c is ambiguous
}

func typeName(t sql.Type) string {
	if t == 0 {
		return "unknown"
	}
	return t.String()
}

func undefinedColumn(name string) *sql.Error {
	return &sql.Error{Code: sql.CodeUndefinedColumn, Msg: "column \"" + name + "\" does not exist"}
}

func noOperator(op sql.Op, a, b sql.Type) *sql.Error {
	return &sql.Error{Code: sql.CodeUndefinedFunction, Msg: "operator does not exist: " + typeName(a) + " " + op.String() + " " + typeName(b)}
}

func notBoolean(what string, t sql.Type) *sql.Error {
	return &sql.Error{Code: sql.CodeDatatypeMismatch, Msg: "argument of " + what + " must be type boolean, not type " + typeName(t)}
}

func untypedOperands(op sql.Op) *sql.Error {
	return &sql.Error{Code: sql.CodeFeatureNotSupported, Msg: "the operator " + op.String() + " between operands of unknown type" +
		" is not supported by idemsim's SQL subset; write a typed literal (interval '...', timestamptz '...')"}
}

// constType is the type of a literal as PostgreSQL reads it: an integer is
// an int if it fits, else a bigint; a string is of unknown type until its
// context gives it one.
func constType(v sql.Value) sql.Type {
	switch v.Kind {
	case sql.IntKind:
		if v.Int >= math.MinInt32 && v.Int <= math.MaxInt32 {
			return sql.Int
		}
		return sql.BigInt
	case sql.BoolKind:
		return sql.Bool
	case sql.TimeKind:
		return sql.Timestamptz
	case sql.IntervalKind:
		return sql.Interval
	}
	return 0
}

func (sc *scope) compile(e *sql.Expr) (*cexpr, *sql.Error) {
	switch e.Op {
	case sql.OpConst:
		return &cexpr{op: sql.OpConst, val: e.Value, typ: constType(e.Value)}, nil
	case sql.OpParam:
		return &cexpr{op: sql.OpParam, param: e.Param - 1}, nil
	case sql.OpNow:
		return &cexpr{op: sql.OpNow, typ: sql.Timestamptz}, nil
	case sql.OpColumn:
		return sc.column(e)
	case sql.OpDefault:
		return nil, &sql.Error{Code: sql.CodeSyntaxError, Msg: "DEFAULT is not allowed in this context"}
	}
	args := make([]*cexpr, len(e.Args))
	for i := range e.Args {
		a, err := sc.compile(&e.Args[i])
		if err != nil {
			return nil, err
		}
		args[i] = a
	}
	n := &cexpr{op: e.Op, args: args}
	switch e.Op {
	case sql.OpNeg:
		a := args[0]
		switch {
		case a.typ == 0:
			return nil, untypedOperands(e.Op)
		case a.typ.Integer(), a.typ == sql.Interval:
			n.typ = a.typ
		default:
			return nil, &sql.Error{Code: sql.CodeUndefinedFunction, Msg: "operator does not exist: - " + typeName(a.typ)}
		}
	case sql.OpAdd, sql.OpSub, sql.OpMod:
		if err := arith(n); err != nil {
			return nil, err
		}
	case sql.OpEq, sql.OpNe, sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe:
		if err := comparison(e.Op, args[0], args[1]); err != nil {
			return nil, err
		}
		n.typ = sql.Bool
	case sql.OpAnd, sql.OpOr, sql.OpNot:
		for _, a := range args {
			if err := toBool(a, e.Op.String()); err != nil {
				return nil, err
			}
		}
		n.typ = sql.Bool
	case sql.OpIsNull, sql.OpIsNotNull:
		n.typ = sql.Bool
	case sql.OpIn, sql.OpNotIn:
		if err := inList(n); err != nil {
			return nil, err
		}
		n.typ = sql.Bool
	default:
		return nil, &sql.Error{Code: sql.CodeFeatureNotSupported, Msg: "the operator " + e.Op.String() + " is not supported"}
	}
	return n, nil
}

// column resolves a column reference.
func (sc *scope) column(e *sql.Expr) (*cexpr, *sql.Error) {
	t := sc.t
	c := t.colIndex(e.Col)
	switch {
	case sc.noCols:
		return nil, undefinedColumn(e.Col)
	case e.Table == "" && sc.excluded && c >= 0:
		return nil, &sql.Error{Code: sql.CodeAmbiguousColumn, Msg: "column reference \"" + e.Col + "\" is ambiguous"}
	case e.Table != "" && e.Table != t.name && !(sc.excluded && e.Table == "excluded"):
		return nil, &sql.Error{Code: sql.CodeUndefinedTable, Msg: "missing FROM-clause entry for table \"" + e.Table + "\""}
	case c < 0 && e.Table != "":
		return nil, &sql.Error{Code: sql.CodeUndefinedColumn, Msg: "column " + e.Table + "." + e.Col + " does not exist"}
	case c < 0:
		return nil, undefinedColumn(e.Col)
	}
	return &cexpr{op: sql.OpColumn, col: c, typ: t.cols[c].typ, excl: e.Table == "excluded" && sc.excluded}, nil
}

// resolve gives an operand of unknown type the type t, as PostgreSQL
// types an unknown literal by its context: a string literal is read as a
// t, a NULL becomes a NULL t, and a parameter is converted to t when the
// statement runs. assign is set in an assignment to a column.
func resolve(n *cexpr, t sql.Type, assign bool) *sql.Error {
	if n.typ != 0 {
		return nil
	}
	switch n.op {
	case sql.OpConst:
		if n.val.Kind == sql.TextKind {
			v, err := convertText(n.val.Text, t)
			if err != nil {
				return err
			}
			n.val = v
		}
	case sql.OpParam:
		n.want, n.assign = t, assign
	}
	n.typ = t
	return nil
}

// convertText reads a string as a value of type t, with PostgreSQL's
// input errors.
func convertText(s string, t sql.Type) (sql.Value, *sql.Error) {
	switch t {
	case sql.Int, sql.BigInt:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		var ne *strconv.NumError
		if err != nil && !(asNumError(err, &ne) && ne.Err == strconv.ErrRange) {
			return sql.Value{}, &sql.Error{Code: sql.CodeInvalidText, Msg: "invalid input syntax for type " + t.String() + ": \"" + s + "\""}
		}
		if err != nil || t == sql.Int && (n < math.MinInt32 || n > math.MaxInt32) {
			return sql.Value{}, &sql.Error{Code: sql.CodeNumericOutOfRange, Msg: "value \"" + s + "\" is out of range for type " + t.String()}
		}
		return sql.IntValue(n), nil
	case sql.Bool:
		return sql.ParseBool(s)
	case sql.Timestamptz:
		return sql.ParseTimestamp(s)
	case sql.Interval:
		return sql.ParseInterval(s)
	}
	return sql.TextValue(s), nil
}

func asNumError(err error, target **strconv.NumError) bool {
	ne, ok := err.(*strconv.NumError)
	if ok {
		*target = ne
	}
	return ok
}

// arith types +, - and %: an unknown operand takes the type PostgreSQL's
// operator resolution gives it (the other operand's type, or interval
// beside a timestamptz in +).
func arith(n *cexpr) *sql.Error {
	a, b := n.args[0], n.args[1]
	if a.typ == 0 && b.typ == 0 {
		return untypedOperands(n.op)
	}
	adopt := func(other sql.Type) sql.Type {
		if other == sql.Timestamptz && n.op == sql.OpAdd {
			return sql.Interval
		}
		return other
	}
	if a.typ == 0 {
		if err := resolve(a, adopt(b.typ), false); err != nil {
			return err
		}
	}
	if b.typ == 0 {
		if err := resolve(b, adopt(a.typ), false); err != nil {
			return err
		}
	}
	ta, tb := a.typ, b.typ
	switch {
	case ta.Integer() && tb.Integer():
		n.typ = sql.BigInt
		if ta == sql.Int && tb == sql.Int {
			n.typ = sql.Int
		}
	case n.op == sql.OpAdd && ta == sql.Timestamptz && tb == sql.Interval, n.op == sql.OpAdd && ta == sql.Interval && tb == sql.Timestamptz,
		n.op == sql.OpSub && ta == sql.Timestamptz && tb == sql.Interval:
		n.typ = sql.Timestamptz
	case n.op != sql.OpMod && ta == sql.Interval && tb == sql.Interval, n.op == sql.OpSub && ta == sql.Timestamptz && tb == sql.Timestamptz:
		n.typ = sql.Interval
	default:
		return noOperator(n.op, ta, tb)
	}
	return nil
}

// comparable reports whether PostgreSQL compares values of types a and b.
func comparable(a, b sql.Type) bool { return a == b || a.Integer() && b.Integer() }

// comparison types a comparison: an unknown operand takes the other's
// type; two unknown operands are text.
func comparison(op sql.Op, a, b *cexpr) *sql.Error {
	switch {
	case a.typ == 0 && b.typ == 0:
		if err := resolve(a, sql.Text, false); err != nil {
			return err
		}
		return resolve(b, sql.Text, false)
	case a.typ == 0:
		if err := resolve(a, b.typ, false); err != nil {
			return err
		}
	case b.typ == 0:
		if err := resolve(b, a.typ, false); err != nil {
			return err
		}
	}
	if !comparable(a.typ, b.typ) {
		return noOperator(op, a.typ, b.typ)
	}
	return nil
}

// toBool checks an operand of AND, OR, NOT, WHERE or ON CONFLICT ... WHERE.
func toBool(a *cexpr, what string) *sql.Error {
	if err := resolve(a, sql.Bool, false); err != nil {
		return err
	}
	if a.typ != sql.Bool {
		return notBoolean(what, a.typ)
	}
	return nil
}

// setThreshold is the length from which an IN list of constants is looked
// up in a set rather than compared element by element.
const setThreshold = 8

// inList types x [not] in (e, ...): every element is compared with x, at
// the type of x if known, else of the first element whose type is known.
func inList(n *cexpr) *sql.Error {
	t := sql.Type(0)
	for _, a := range n.args {
		if a.typ != 0 {
			t = a.typ
			break
		}
	}
	if t == 0 {
		t = sql.Text
	}
	allConst := true
	for i, a := range n.args {
		if err := resolve(a, t, false); err != nil {
			return err
		}
		if !comparable(n.args[0].typ, a.typ) {
			return noOperator(sql.OpEq, n.args[0].typ, a.typ)
		}
		allConst = allConst && (i == 0 || a.op == sql.OpConst)
	}
	if allConst && len(n.args) > setThreshold {
		n.set = make(map[sql.Value]bool, len(n.args)-1)
		for _, a := range n.args[1:] {
			if a.val.IsNull() {
				n.setNull = true
				continue
			}
			n.set[sql.IntervalKey(a.val)] = true
		}
	}
	return nil
}

// assignTo types an expression assigned to column c of t (VALUES or SET):
// an unknown one becomes the column's type; integers of either width go to
// either integer column (checked for range when written); anything may go
// to a text column, as its text, as PostgreSQL's assignment casts do.
func assignTo(n *cexpr, t *table, c int) (*cexpr, *sql.Error) {
	col := t.cols[c]
	if n.typ == 0 {
		if err := resolve(n, col.typ, true); err != nil {
			return nil, err
		}
		return n, nil
	}
	switch {
	case n.typ == col.typ, n.typ.Integer() && col.typ.Integer():
		return n, nil
	case col.typ == sql.Text:
		return &cexpr{op: opCastText, typ: sql.Text, args: []*cexpr{n}}, nil
	}
	return nil, &sql.Error{Code: sql.CodeDatatypeMismatch, Msg: "column \"" + col.name + "\" is of type " + col.typ.String() + " but expression is of type " + n.typ.String()}
}

// assignConst converts a constant for a column of type t (a DEFAULT).
func assignConst(v sql.Value, t sql.Type, name, what string) (sql.Value, *sql.Error) {
	n := &cexpr{op: sql.OpConst, val: v, typ: constType(v)}
	if n.typ == 0 {
		if err := resolve(n, t, true); err != nil {
			return sql.Value{}, err
		}
		return n.val, nil
	}
	switch {
	case n.typ == t, n.typ.Integer() && t.Integer():
		return v, nil
	case t == sql.Text:
		return sql.TextValue(v.String()), nil
	}
	return sql.Value{}, &sql.Error{Code: sql.CodeDatatypeMismatch, Msg: "column \"" + name + "\" is of type " + t.String() + " but " + what + " is of type " + n.typ.String()}
}

// where compiles a WHERE clause.
func (sc *scope) where(e *sql.Expr, what string) (*cexpr, *sql.Error) {
	if e == nil {
		return nil, nil
	}
	n, err := sc.compile(e)
	if err != nil {
		return nil, err
	}
	if err := toBool(n, what); err != nil {
		return nil, err
	}
	return n, nil
}

func (t *table) projection(p *sql.Projection) (projection, *sql.Error) {
	switch {
	case p.Count:
		return projection{count: true, names: countCols}, nil
	case p.Star:
		all := make([]int, len(t.cols))
		for i := range all {
			all[i] = i
		}
		return projection{cols: all, names: t.colNames}, nil
	}
	pr := projection{names: p.Cols, cols: make([]int, len(p.Cols))}
	for i, name := range p.Cols {
		if pr.cols[i] = t.colIndex(name); pr.cols[i] < 0 {
			return projection{}, undefinedColumn(name)
		}
	}
	return pr, nil
}

var countCols = []string{"count"}

// columnFree reports whether n reads no column: its value is the same for
// every row, so an index can look it up.
func columnFree(n *cexpr) bool {
	if n.op == sql.OpColumn {
		return false
	}
	for _, a := range n.args {
		if !columnFree(a) {
			return false
		}
	}
	return true
}

// chooseAccess picks the first unique index (the primary key's first)
// whose every column a top-level conjunct pins, by c = e or c in (e, ...)
// with e reading no column.
func chooseAccess(t *table, where *cexpr) access {
	if where == nil {
		return access{}
	}
	var conj []*cexpr
	var flatten func(n *cexpr)
	flatten = func(n *cexpr) {
		if n.op == sql.OpAnd {
			flatten(n.args[0])
			flatten(n.args[1])
			return
		}
		conj = append(conj, n)
	}
	flatten(where)
	pinned := func(c int) []*cexpr {
		for _, n := range conj {
			switch n.op {
			case sql.OpEq:
				a, b := n.args[0], n.args[1]
				if a.op == sql.OpColumn && !a.excl && a.col == c && columnFree(b) {
					return []*cexpr{b}
				}
				if b.op == sql.OpColumn && !b.excl && b.col == c && columnFree(a) {
					return []*cexpr{a}
				}
			case sql.OpIn:
				a := n.args[0]
				if a.op != sql.OpColumn || a.excl || a.col != c {
					continue
				}
				free := true
				for _, x := range n.args[1:] {
					free = free && columnFree(x)
				}
				if free {
					return n.args[1:]
				}
			}
		}
		return nil
	}
	for _, ix := range t.indexes {
		keys := make([][]*cexpr, len(ix.cols))
		ok := true
		for i, c := range ix.cols {
			if keys[i] = pinned(c); keys[i] == nil {
				ok = false
				break
			}
		}
		if ok {
			return access{ix: ix, keys: keys}
		}
	}
	return access{}
}

// planFor returns st's plan on its table, compiling it on first use (and
// again after the table is dropped and created anew).
func (db *DB) planFor(st sql.Stmt, name string) (*plan, *table, *sql.Error) {
	t, ok := db.tables[name]
	if !ok {
		return nil, nil, undefinedTable(name)
	}
	if pl := db.plans[st]; pl != nil && pl.t == t {
		return pl, t, nil
	}
	var pl *plan
	var err *sql.Error
	switch st := st.(type) {
	case *sql.Select:
		pl, err = compileSelect(t, st)
	case *sql.Insert:
		pl, err = compileInsert(t, st)
	case *sql.Update:
		pl, err = compileUpdate(t, st)
	case *sql.Delete:
		pl, err = compileDelete(t, st)
	}
	if err != nil {
		return nil, nil, err
	}
	db.plans[st] = pl
	return pl, t, nil
}

func compileSelect(t *table, st *sql.Select) (*plan, *sql.Error) {
	sc := &scope{t: t}
	pl := &plan{t: t, wait: st.Wait}
	var err *sql.Error
	if pl.proj, err = t.projection(&st.What); err != nil {
		return nil, err
	}
	if pl.where, err = sc.where(st.Where, "WHERE"); err != nil {
		return nil, err
	}
	for _, o := range st.OrderBy {
		c := t.colIndex(o.Col)
		if c < 0 {
			return nil, undefinedColumn(o.Col)
		}
		pl.order = append(pl.order, orderKey{col: c, desc: o.Desc, nullsFirst: o.NullsFirst})
	}
	if st.Limit != nil {
		n, err := sc.compile(st.Limit)
		if err != nil {
			return nil, err
		}
		if err := resolve(n, sql.BigInt, false); err != nil {
			return nil, err
		}
		if !n.typ.Integer() {
			return nil, &sql.Error{Code: sql.CodeDatatypeMismatch, Msg: "argument of LIMIT must be type bigint, not type " + typeName(n.typ)}
		}
		if !columnFree(n) {
			return nil, &sql.Error{Code: sql.CodeInvalidColumnReference, Msg: "argument of LIMIT must not contain variables"}
		}
		pl.limit = n
	}
	if st.Lock != 0 {
		pl.lock = rowMode(st.Lock)
	}
	pl.access = chooseAccess(t, pl.where)
	return pl, nil
}

func compileSets(t *table, sc *scope, sets []sql.SetClause, pl *plan) *sql.Error {
	for _, s := range sets {
		c := t.colIndex(s.Col)
		if c < 0 {
			return &sql.Error{Code: sql.CodeUndefinedColumn, Msg: "column \"" + s.Col + "\" of relation \"" + t.name + "\" does not exist"}
		}
		if t.cols[c].identity == sql.IdentityAlways {
			return &sql.Error{Code: sql.CodeGeneratedAlways, Msg: "column \"" + s.Col + "\" can only be updated to DEFAULT"}
		}
		n, err := sc.compile(&s.Value)
		if err != nil {
			return err
		}
		if n, err = assignTo(n, t, c); err != nil {
			return err
		}
		pl.sets = append(pl.sets, setExpr{col: c, e: n})
		pl.keySet = pl.keySet || t.cols[c].key
	}
	return nil
}

func compileReturning(t *table, r *sql.Projection, pl *plan) *sql.Error {
	if r == nil {
		return nil
	}
	pr, err := t.projection(r)
	if err != nil {
		return err
	}
	pl.ret = &pr
	return nil
}

func compileUpdate(t *table, st *sql.Update) (*plan, *sql.Error) {
	sc := &scope{t: t}
	pl := &plan{t: t}
	if err := compileSets(t, sc, st.Set, pl); err != nil {
		return nil, err
	}
	var err *sql.Error
	if pl.where, err = sc.where(st.Where, "WHERE"); err != nil {
		return nil, err
	}
	if err := compileReturning(t, st.Returning, pl); err != nil {
		return nil, err
	}
	pl.access = chooseAccess(t, pl.where)
	return pl, nil
}

func compileDelete(t *table, st *sql.Delete) (*plan, *sql.Error) {
	sc := &scope{t: t}
	pl := &plan{t: t}
	var err *sql.Error
	if pl.where, err = sc.where(st.Where, "WHERE"); err != nil {
		return nil, err
	}
	if err := compileReturning(t, st.Returning, pl); err != nil {
		return nil, err
	}
	pl.access = chooseAccess(t, pl.where)
	return pl, nil
}

func compileInsert(t *table, st *sql.Insert) (*plan, *sql.Error) {
	pl := &plan{t: t}
	if st.Cols == nil {
		for i := range t.cols {
			pl.target = append(pl.target, i)
		}
		if len(st.Rows) > 0 && len(st.Rows[0]) > len(t.cols) {
			return nil, &sql.Error{Code: sql.CodeSyntaxError, Msg: "INSERT has more expressions than target columns"}
		}
	} else {
		for _, name := range st.Cols {
			c := t.colIndex(name)
			if c < 0 {
				return nil, &sql.Error{Code: sql.CodeUndefinedColumn, Msg: "column \"" + name + "\" of relation \"" + t.name + "\" does not exist"}
			}
			pl.target = append(pl.target, c)
		}
	}
	values := &scope{t: t, noCols: true}
	for _, r := range st.Rows {
		row := make([]*cexpr, len(r))
		for i := range r {
			c := pl.target[i]
			if r[i].Op == sql.OpDefault {
				continue
			}
			if t.cols[c].identity == sql.IdentityAlways {
				return nil, &sql.Error{Code: sql.CodeGeneratedAlways, Msg: "cannot insert a non-DEFAULT value into column \"" + t.cols[c].name + "\""}
			}
			n, err := values.compile(&r[i])
			if err != nil {
				return nil, err
			}
			if row[i], err = assignTo(n, t, c); err != nil {
				return nil, err
			}
		}
		pl.rows = append(pl.rows, row)
	}
	if oc := st.OnConflict; oc != nil {
		pl.onConfl = true
		if oc.Target == nil {
			pl.arbiters = t.indexes
		} else {
			want := make([]int, len(oc.Target))
			for i, name := range oc.Target {
				if want[i] = t.colIndex(name); want[i] < 0 {
					return nil, undefinedColumn(name)
				}
			}
			for _, ix := range t.indexes {
				if sameColumns(ix.cols, want) {
					pl.arbiters = append(pl.arbiters, ix)
				}
			}
			if pl.arbiters == nil {
				return nil, &sql.Error{Code: sql.CodeInvalidOnConflict, Msg: "there is no unique or exclusion constraint matching the ON CONFLICT specification"}
			}
		}
		if oc.Update {
			pl.doUpdate = true
			sc := &scope{t: t, excluded: true}
			if err := compileSets(t, sc, oc.Set, pl); err != nil {
				return nil, err
			}
			var err *sql.Error
			if pl.conflWher, err = sc.where(oc.Where, "WHERE"); err != nil {
				return nil, err
			}
		}
	}
	if err := compileReturning(t, st.Returning, pl); err != nil {
		return nil, err
	}
	return pl, nil
}

// sameColumns reports whether a and b hold the same columns, in any order
// (an ON CONFLICT target matches an index whatever order it names them in).
func sameColumns(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}
