package db

import (
	"cmp"
	"math"
	"slices"
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
	// SELECT, UPDATE, DELETE: the WHERE, folded and split as PostgreSQL's
	// planner splits it.
	never   bool     // a conjunct folded to false or NULL: no row, no scan
	gating  []*cexpr // conjuncts that read no column, checked once before the scan
	filter  []*cexpr // the others but those the index lookup answers, cheapest first
	quals   []*cexpr // every conjunct that reads a column: the index's, then filter (EvalPlanQual's re-check)
	access  access
	qualOps float64 // the operator calls the per-row conjuncts cost (cost_qual_eval)
	// SELECT.
	stream bool // no sort to make: a LIMIT stops the scan (chooseStream)
	proj   projection
	order  []orderKey
	limit  *cexpr // nil: no limit
	lock   lockMode
	wait   sql.WaitPolicy
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

// chooseStream says whether a SELECT with a LIMIT takes its rows in the
// order its scan meets them, checking, locking and counting each and
// stopping at the limit, as PostgreSQL's Limit over (LockRows over) a scan
// does: when no sort is needed — no ORDER BY, an ordered index scan, or
// an ORDER BY of columns the index lookup pins. Otherwise every row is
// read before the sort.
func (pl *plan) chooseStream() {
	a := &pl.access
	switch {
	case pl.order == nil || a.ordered:
		pl.stream = true
	case a.ix != nil && !a.bitmap:
		pl.stream = true
		for _, o := range pl.order {
			pl.stream = pl.stream && slices.Contains(a.ix.cols, o.col)
		}
	}
}

// projection is what a SELECT or RETURNING yields.
type projection struct {
	count bool
	cols  []int    // the columns returned, in order
	names []string // their names (shared: callers must not modify Result.Cols)
	// exprs, when not nil, are a RETURNING list's values, computed for each
	// row returned (cols is then unused).
	exprs []*cexpr
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
	pins []*cexpr   // the conjuncts that give them
	// bitmap is set when a column may equal several values (IN, or an OR
	// of equalities): PostgreSQL then answers by a bitmap heap scan, which
	// fetches the rows in heap order rather than key order.
	bitmap bool
	// ordered is a scan of the whole index in its order (desc: backward),
	// chosen for ORDER BY ... LIMIT on the index's leading columns.
	ordered, desc bool
	// rng is a bitmap scan of a range of the index's first column, from lo
	// to hi (nil: unbounded), taken when it costs less than a table scan
	// (rangeWins); its conjuncts stay in the filter either way.
	rng            bool
	lo, hi         *cexpr
	loIncl, hiIncl bool
}

// opCastText and opCastInt are internal operators: Args[0] printed as
// text, for an assignment of another type to a text column, and a bigint
// narrowed to an int (22003 when it does not fit), for one to an int
// column — PostgreSQL's assignment casts.
const (
	opCastText = sql.Op(200)
	opCastInt  = sql.Op(201)
)

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
	t *table
	// alias is the name an INSERT's AS gives the table, "" when none: a
	// qualifier must then be the alias, and the table's name is refused.
	alias    string
	noCols   bool // VALUES: no column may be named
	excluded bool // ON CONFLICT DO UPDATE's SET and WHERE: excluded.c, and t.c; a bare c is ambiguous
	// upsert is set for a RETURNING of an INSERT with DO UPDATE, whose
	// excluded exists but cannot be named there.
	upsert bool
}

// target is the name by which qualifiers refer to the scope's table.
func (sc *scope) target() string {
	if sc.alias != "" {
		return sc.alias
	}
	return sc.t.name
}

// qualifier checks the q of a reference q.c, with PostgreSQL's errors: it
// reports whether q names ON CONFLICT's proposed row (excluded).
func (sc *scope) qualifier(q string) (bool, *sql.Error) {
	name := sc.target()
	invalid := func() *sql.Error {
		return &sql.Error{Code: sql.CodeUndefinedTable, Msg: "invalid reference to FROM-clause entry for table \"" + q + "\""}
	}
	switch {
	case sc.excluded && q == "excluded" && name == "excluded":
		return false, &sql.Error{Code: sql.CodeAmbiguousAlias, Msg: "table reference \"excluded\" is ambiguous"}
	case sc.excluded && q == "excluded":
		return true, nil
	case q == name && !sc.noCols:
		return false, nil
	case q == name, q == sc.t.name, sc.upsert && q == "excluded":
		// The table is in the statement, but not visible here: in VALUES,
		// under the name its alias hides, or excluded in RETURNING.
		return false, invalid()
	}
	return false, &sql.Error{Code: sql.CodeUndefinedTable, Msg: "missing FROM-clause entry for table \"" + q + "\""}
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

// untypedOperands is PostgreSQL's error for an operator none of whose
// operands has a type (two string literals or NULLs, or a parameter): it
// cannot choose among its candidates.
func untypedOperands(op sql.Op, binary bool) *sql.Error {
	msg := "operator is not unique: " + op.String() + " unknown"
	if binary {
		msg = "operator is not unique: unknown " + op.String() + " unknown"
	}
	return &sql.Error{Code: sql.CodeAmbiguousFunction, Msg: msg}
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
			return nil, untypedOperands(e.Op, false)
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
		return inExpr(e.Op, args)
	default:
		return nil, &sql.Error{Code: sql.CodeFeatureNotSupported, Msg: "the operator " + e.Op.String() + " is not supported"}
	}
	return n, nil
}

// column resolves a column reference: its qualifier first, then its name,
// as PostgreSQL does.
func (sc *scope) column(e *sql.Expr) (*cexpr, *sql.Error) {
	t := sc.t
	excl := false
	if e.Table != "" {
		var err *sql.Error
		if excl, err = sc.qualifier(e.Table); err != nil {
			return nil, err
		}
	}
	c := t.colIndex(e.Col)
	switch {
	case sc.noCols:
		return nil, undefinedColumn(e.Col)
	case e.Table == "" && sc.excluded && c >= 0:
		return nil, &sql.Error{Code: sql.CodeAmbiguousColumn, Msg: "column reference \"" + e.Col + "\" is ambiguous"}
	case c < 0 && e.Table != "":
		return nil, &sql.Error{Code: sql.CodeUndefinedColumn, Msg: "column " + e.Table + "." + e.Col + " does not exist"}
	case c < 0:
		return nil, undefinedColumn(e.Col)
	}
	return &cexpr{op: sql.OpColumn, col: c, typ: t.cols[c].typ, excl: excl}, nil
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
		return untypedOperands(n.op, true)
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

// inExpr builds x [not] in (e, ...) as PostgreSQL's analysis does: the
// elements that read no column, if there are two or more, become one
// array comparison (an IN list proper); every other element becomes its
// own x = e (x <> e for NOT IN), joined by OR (AND), in the order written.
// So x in (y) is x = y. PostgreSQL nests the ORs (ANDs) two by two; here
// they are the operands of one node, which folding makes of the nested
// ones anyway (foldBool), so that a long list does not make a tree as deep
// as it is long for the planner and the evaluator to recurse through.
func inExpr(op sql.Op, args []*cexpr) (*cexpr, *sql.Error) {
	x := args[0]
	var vars, consts []*cexpr
	for _, a := range args[1:] {
		if columnFree(a) {
			consts = append(consts, a)
		} else {
			vars = append(vars, a)
		}
	}
	cmpOp, join := sql.OpEq, sql.OpOr
	if op == sql.OpNotIn {
		cmpOp, join = sql.OpNe, sql.OpAnd
	}
	var terms []*cexpr
	rest := args[1:]
	if len(consts) > 1 {
		list := &cexpr{op: op, typ: sql.Bool, args: append([]*cexpr{x}, consts...)}
		if err := inList(list); err != nil {
			return nil, err
		}
		terms = append(terms, list)
		rest = vars
	}
	for _, r := range rest {
		if err := comparison(cmpOp, x, r); err != nil {
			return nil, err
		}
		terms = append(terms, &cexpr{op: cmpOp, typ: sql.Bool, args: []*cexpr{x, r}})
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &cexpr{op: join, typ: sql.Bool, args: terms}, nil
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
	case n.typ == sql.BigInt && col.typ == sql.Int:
		return &cexpr{op: opCastInt, typ: sql.Int, args: []*cexpr{n}}, nil
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

// where compiles a WHERE clause (not yet folded: see plan.fold).
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

// value compiles an expression assigned to column c (VALUES, SET).
func (sc *scope) value(e *sql.Expr, t *table, c int) (*cexpr, *sql.Error) {
	n, err := sc.compile(e)
	if err != nil {
		return nil, err
	}
	return assignTo(n, t, c)
}

// foldAll folds a plan's expressions once the whole statement has been
// analyzed — an error of analysis (a literal of the wrong type) comes
// before one of folding (an overflow) wherever each stands, as in
// PostgreSQL — and in the order PostgreSQL's planner folds them: the
// assignments (SET, VALUES), RETURNING, WHERE, LIMIT, then ON CONFLICT's
// SET and WHERE.
func (pl *plan) foldAll(where *cexpr) (*cexpr, *sql.Error) {
	var err *sql.Error
	each := func(n **cexpr) {
		if err == nil && *n != nil {
			*n, err = fold(*n)
		}
	}
	for _, row := range pl.rows {
		for i := range row {
			each(&row[i])
		}
	}
	if !pl.doUpdate {
		for i := range pl.sets {
			each(&pl.sets[i].e)
		}
	}
	if pl.ret != nil {
		for i := range pl.ret.exprs {
			each(&pl.ret.exprs[i])
		}
	}
	each(&where)
	each(&pl.limit)
	if pl.doUpdate {
		for i := range pl.sets {
			each(&pl.sets[i].e)
		}
	}
	each(&pl.conflWher)
	if err == nil && pl.conflWher != nil {
		pl.conflWher = canonicalize(pl.conflWher)
	}
	return where, err
}

// strict reports whether op yields NULL when an operand is NULL.
func strict(op sql.Op) bool {
	switch op {
	case sql.OpNeg, sql.OpAdd, sql.OpSub, sql.OpMod, sql.OpEq, sql.OpNe, sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe, opCastText, opCastInt:
		return true
	}
	return false
}

// fold simplifies n as PostgreSQL's planner does before it runs anything
// (eval_const_expressions), since what it simplifies away is never
// evaluated, and what it computes fails the statement even when no row is
// read: an operator over constants is computed now (its error is the
// statement's); a strict operator with a NULL constant operand is NULL,
// its other operands unevaluated; AND and OR are flattened, a constant
// that decides them decides them, the other constants are dropped, and a
// NULL constant goes last.
func fold(n *cexpr) (*cexpr, *sql.Error) {
	if n.op == sql.OpAnd || n.op == sql.OpOr {
		return foldBool(n) // its operands are folded in turn, until one decides
	}
	for i, a := range n.args {
		f, err := fold(a)
		if err != nil {
			return nil, err
		}
		n.args[i] = f
	}
	switch n.op {
	case sql.OpConst, sql.OpParam, sql.OpColumn, sql.OpNow:
		return n, nil
	case sql.OpNot:
		return negateClause(n.args[0]), nil
	}
	if strict(n.op) {
		for _, a := range n.args {
			if a.op == sql.OpConst && a.val.IsNull() {
				return &cexpr{op: sql.OpConst, typ: n.typ}, nil
			}
		}
	}
	for _, a := range n.args {
		if a.op != sql.OpConst {
			return n, nil
		}
	}
	var x exec // constants only: nothing of a running statement is read
	v, err := x.eval(n, nil, nil)
	if err != nil {
		return nil, err
	}
	return &cexpr{op: sql.OpConst, typ: n.typ, val: v}, nil
}

// negators pairs each comparison with its negation.
var negators = map[sql.Op]sql.Op{
	sql.OpEq: sql.OpNe, sql.OpNe: sql.OpEq, sql.OpLt: sql.OpGe, sql.OpGe: sql.OpLt,
	sql.OpLe: sql.OpGt, sql.OpGt: sql.OpLe, sql.OpIn: sql.OpNotIn, sql.OpNotIn: sql.OpIn,
	sql.OpIsNull: sql.OpIsNotNull, sql.OpIsNotNull: sql.OpIsNull,
}

// negateClause is NOT n, simplified as PostgreSQL's negate_clause does: a
// constant is negated, a comparison, IN list or IS NULL turns into its
// opposite, NOT NOT disappears, and NOT pushes through AND and OR (De
// Morgan). Anything else keeps its NOT.
func negateClause(n *cexpr) *cexpr {
	switch n.op {
	case sql.OpConst:
		if n.val.IsNull() {
			return n
		}
		return &cexpr{op: sql.OpConst, typ: sql.Bool, val: boolValue(!n.val.Bool())}
	case sql.OpNot:
		return n.args[0]
	case sql.OpAnd, sql.OpOr:
		op := sql.OpOr
		if n.op == sql.OpOr {
			op = sql.OpAnd
		}
		args := make([]*cexpr, len(n.args))
		for i, a := range n.args {
			args[i] = negateClause(a)
		}
		return &cexpr{op: op, typ: sql.Bool, args: args}
	}
	if neg, ok := negators[n.op]; ok {
		m := *n
		m.op = neg
		return &m
	}
	return &cexpr{op: sql.OpNot, typ: sql.Bool, args: []*cexpr{n}}
}

// foldBool simplifies an AND or OR, folding its operands in order as
// PostgreSQL's simplify_and_arguments and simplify_or_arguments do: nested
// ANDs (ORs) are spliced in, and a constant that decides the result ends
// the work, leaving the operands after it unfolded (so never evaluated).
func foldBool(n *cexpr) (*cexpr, *sql.Error) {
	decisive := n.op == sql.OpOr // the value that decides it: true for OR, false for AND
	// The operands still to fold, the next one last: splicing in a nested
	// AND (OR) then costs its own operands only, where a queue copied on
	// each splice would make a long chain quadratic.
	var pending []*cexpr
	push := func(list []*cexpr) {
		for i := len(list) - 1; i >= 0; i-- {
			pending = append(pending, list[i])
		}
	}
	push(n.args)
	var args []*cexpr
	haveNull := false
	for len(pending) > 0 {
		a := pending[len(pending)-1]
		pending = pending[:len(pending)-1]
		if a.op != n.op {
			f, err := fold(a)
			if err != nil {
				return nil, err
			}
			a = f
		}
		switch {
		case a.op == n.op:
			push(a.args)
		case a.op != sql.OpConst:
			args = append(args, a)
		case a.val.IsNull():
			haveNull = true
		case a.val.Bool() == decisive:
			return &cexpr{op: sql.OpConst, typ: sql.Bool, val: boolValue(decisive)}, nil
		}
	}
	if haveNull {
		args = append(args, &cexpr{op: sql.OpConst, typ: sql.Bool})
	}
	switch len(args) {
	case 0:
		return &cexpr{op: sql.OpConst, typ: sql.Bool, val: boolValue(!decisive)}, nil
	case 1:
		return args[0], nil
	}
	return &cexpr{op: n.op, typ: sql.Bool, args: args}, nil
}

var (
	constTrue  = &cexpr{op: sql.OpConst, typ: sql.Bool, val: sqlTrue}
	constFalse = &cexpr{op: sql.OpConst, typ: sql.Bool, val: sqlFalse}
)

// canonicalize is PostgreSQL's canonicalize_qual on a folded WHERE: in the
// AND and OR nested from the top, where NULL may be read as false, an AND
// with a false or NULL constant is false and an OR drops them; and an OR
// whose every arm holds the same condition is rewritten with that
// condition pulled out in front ((a and b) or (a and c) is a and (b or c)).
func canonicalize(n *cexpr) *cexpr {
	switch n.op {
	case sql.OpOr:
		var or []*cexpr
		for _, a := range n.args {
			a = canonicalize(a)
			if a.op == sql.OpConst {
				if a.val.Bool() {
					return a
				}
				continue // false or NULL
			}
			or = append(or, a)
		}
		return duplicateOrs(flatten(sql.OpOr, or))
	case sql.OpAnd:
		var and []*cexpr
		for _, a := range n.args {
			a = canonicalize(a)
			if a.op == sql.OpConst {
				if a.val.Bool() {
					continue
				}
				return constFalse // false or NULL
			}
			and = append(and, a)
		}
		return makeBool(sql.OpAnd, flatten(sql.OpAnd, and))
	}
	return n
}

// flatten splices the operands of op nodes among list into it.
func flatten(op sql.Op, list []*cexpr) []*cexpr {
	var out []*cexpr
	for _, a := range list {
		if a.op == op {
			out = append(out, flatten(op, a.args)...)
		} else {
			out = append(out, a)
		}
	}
	return out
}

// makeBool is AND or OR of list: true or false when empty, the one
// operand when single.
func makeBool(op sql.Op, list []*cexpr) *cexpr {
	switch len(list) {
	case 0:
		if op == sql.OpAnd {
			return constTrue
		}
		return constFalse
	case 1:
		return list[0]
	}
	return &cexpr{op: op, typ: sql.Bool, args: list}
}

// sameExpr reports whether two compiled expressions are the same tree.
func sameExpr(a, b *cexpr) bool {
	if a.op != b.op || a.typ != b.typ || a.val != b.val || a.col != b.col || a.excl != b.excl ||
		a.param != b.param || a.want != b.want || a.assign != b.assign || len(a.args) != len(b.args) {
		return false
	}
	for i := range a.args {
		if !sameExpr(a.args[i], b.args[i]) {
			return false
		}
	}
	return true
}

func memberOf(list []*cexpr, e *cexpr) bool {
	for _, x := range list {
		if sameExpr(x, e) {
			return true
		}
	}
	return false
}

// andArgs are the conjuncts of an AND, or e alone.
func andArgs(e *cexpr) []*cexpr {
	if e.op == sql.OpAnd {
		return e.args
	}
	return []*cexpr{e}
}

// duplicateOrs is PostgreSQL's process_duplicate_ors: the conditions in
// every arm of an OR are pulled out in front of it.
func duplicateOrs(or []*cexpr) *cexpr {
	if len(or) <= 1 {
		return makeBool(sql.OpOr, or)
	}
	// The shortest arm is the reference: a condition not in it is not in
	// every arm.
	var ref []*cexpr
	for _, a := range or {
		if a.op != sql.OpAnd {
			ref = []*cexpr{a}
			break
		}
		if ref == nil || len(a.args) < len(ref) {
			ref = a.args
		}
	}
	var uniq []*cexpr
	for _, r := range ref {
		if !memberOf(uniq, r) {
			uniq = append(uniq, r)
		}
	}
	var winners []*cexpr
	for _, r := range uniq {
		win := true
		for _, a := range or {
			if !memberOf(andArgs(a), r) {
				win = false
				break
			}
		}
		if win {
			winners = append(winners, r)
		}
	}
	if winners == nil {
		return &cexpr{op: sql.OpOr, typ: sql.Bool, args: or}
	}
	var rest []*cexpr
	for _, a := range or {
		var left []*cexpr
		for _, c := range andArgs(a) {
			if !memberOf(winners, c) {
				left = append(left, c)
			}
		}
		if left == nil {
			rest = nil // (a and b) or a is a: the rest of the OR does not matter
			break
		}
		rest = append(rest, makeBool(sql.OpAnd, left))
	}
	if rest != nil {
		winners = append(winners, makeBool(sql.OpOr, flatten(sql.OpOr, rest)))
	}
	return makeBool(sql.OpAnd, flatten(sql.OpAnd, winners))
}

// cost is PostgreSQL's estimate of evaluating n, in operator calls
// (cost_qual_eval): one per operator and function, half the elements of
// an IN list, nothing for columns, constants, AND, OR, NOT and IS NULL.
func cost(n *cexpr) float64 {
	c := 0.0
	switch n.op {
	case sql.OpNow, sql.OpNeg, sql.OpAdd, sql.OpSub, sql.OpMod, sql.OpEq, sql.OpNe, sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe, opCastText:
		c = 1
	case sql.OpIn, sql.OpNotIn:
		c = 0.5 * float64(len(n.args)-1)
	case opCastInt:
		c = 1
	}
	if n.op == sql.OpMod && n.args[0].typ != n.args[1].typ {
		c++ // PostgreSQL has no int % bigint: the int is cast to bigint first, a call of its own
	}
	for _, a := range n.args {
		c += cost(a)
	}
	return c
}

// conjuncts are the operands of a top-level AND, or n itself.
func conjuncts(n *cexpr) []*cexpr {
	if n == nil {
		return nil
	}
	if n.op == sql.OpAnd {
		return n.args
	}
	return []*cexpr{n}
}

// splitWhere chooses the access path for a folded WHERE and splits it as
// PostgreSQL's planner does: a conjunct that is constant false or NULL
// means no row (a one-time filter, checked before any scan); one that
// reads no column is checked once before the scan; the rest are checked
// per row, those the index lookup answers first (only on re-checks), then
// the others, cheapest first.
func (pl *plan) splitWhere(where *cexpr) {
	if where != nil {
		where = canonicalize(where)
	}
	var rows []*cexpr
	for _, c := range conjuncts(where) {
		switch {
		case c.op == sql.OpConst && !c.val.Bool():
			pl.never = true
		case c.op == sql.OpConst:
		case columnFree(c):
			pl.gating = append(pl.gating, c)
		default:
			rows = append(rows, c)
		}
	}
	pl.access = chooseAccess(pl.t, rows)
	if pl.access.ix == nil {
		pl.access = orderedAccess(pl.t, pl.order, pl.limit)
	}
	if pl.access.ix == nil {
		pl.access = rangeAccess(pl.t, rows)
	}
	for _, c := range rows {
		pl.qualOps += cost(c)
	}
	for _, c := range rows {
		if !slices.Contains(pl.access.pins, c) {
			pl.filter = append(pl.filter, c)
		}
	}
	slices.SortStableFunc(pl.filter, func(a, b *cexpr) int { return cmp.Compare(cost(a), cost(b)) })
	pl.quals = append(append([]*cexpr(nil), pl.access.pins...), pl.filter...)
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
// whose every column one of the conjuncts pins, by c = e or c in (e, ...)
// with e reading no column.
func chooseAccess(t *table, conj []*cexpr) access {
	pinned := func(c int) ([]*cexpr, *cexpr) {
		for _, n := range conj {
			switch n.op {
			case sql.OpEq:
				a, b := n.args[0], n.args[1]
				if a.op == sql.OpColumn && !a.excl && a.col == c && columnFree(b) {
					return []*cexpr{b}, n
				}
				if b.op == sql.OpColumn && !b.excl && b.col == c && columnFree(a) {
					return []*cexpr{a}, n
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
					return n.args[1:], n
				}
			case sql.OpOr:
				// c = a or c = b ...: PostgreSQL ORs one index scan per arm
				// (BitmapOr), which is the IN list's bitmap scan.
				var vals []*cexpr
				for _, arm := range n.args {
					if arm.op != sql.OpEq {
						vals = nil
						break
					}
					a, b := arm.args[0], arm.args[1]
					switch {
					case a.op == sql.OpColumn && !a.excl && a.col == c && columnFree(b):
						vals = append(vals, b)
					case b.op == sql.OpColumn && !b.excl && b.col == c && columnFree(a):
						vals = append(vals, a)
					default:
						vals = nil
					}
					if vals == nil {
						break
					}
				}
				if vals != nil {
					return vals, n
				}
			}
		}
		return nil, nil
	}
	for _, ix := range t.indexes {
		a := access{ix: ix, keys: make([][]*cexpr, len(ix.cols))}
		ok := true
		for i, c := range ix.cols {
			var pin *cexpr
			if a.keys[i], pin = pinned(c); pin == nil {
				ok = false
				break
			}
			if !slices.Contains(a.pins, pin) {
				a.pins = append(a.pins, pin)
			}
			a.bitmap = a.bitmap || pin.op != sql.OpEq
		}
		if ok {
			return a
		}
	}
	return access{}
}

// orderedAccess is the scan of a whole index in order that PostgreSQL's
// planner may pick for ORDER BY ... LIMIT when the ORDER BY columns are
// the index's first columns, all ascending (NULLs last) or all descending
// (NULLs first), and no index lookup answers the WHERE. Whether it does,
// or sorts a table scan instead, depends on the limit and the table's
// size, and is decided when the statement runs (orderedWins).
func orderedAccess(t *table, order []orderKey, limit *cexpr) access {
	if len(order) == 0 || limit == nil {
		return access{}
	}
	desc := order[0].desc
	for _, o := range order {
		if o.desc != desc || o.nullsFirst != desc {
			return access{}
		}
	}
	for _, ix := range t.indexes {
		if len(order) > len(ix.cols) {
			continue
		}
		// The simulation's indexes leave out keys with a NULL: only an
		// index of NOT NULL columns has every row to scan.
		match := true
		for _, c := range ix.cols {
			match = match && t.cols[c].notNull
		}
		for i, o := range order {
			match = match && ix.cols[i] == o.col
		}
		if match {
			return access{ix: ix, ordered: true, desc: desc}
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
	where, err := sc.where(st.Where, "WHERE")
	if err != nil {
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
	if where, err = pl.foldAll(where); err != nil {
		return nil, err
	}
	pl.splitWhere(where)
	pl.chooseStream()
	return pl, nil
}

func compileSets(t *table, sc *scope, sets []sql.SetClause, pl *plan) *sql.Error {
	for _, s := range sets {
		c := t.colIndex(s.Col)
		if c < 0 {
			return &sql.Error{Code: sql.CodeUndefinedColumn, Msg: "column \"" + s.Col + "\" of relation \"" + t.name + "\" does not exist"}
		}
		n, err := sc.value(&s.Value, t, c)
		if err != nil {
			return err
		}
		pl.sets = append(pl.sets, setExpr{col: c, e: n})
		pl.keySet = pl.keySet || t.cols[c].key
	}
	return nil
}

// generatedAlways is the error PostgreSQL's rewriter raises, once the
// statement has been analyzed, for a value given to a GENERATED ALWAYS
// identity column: in VALUES (other than DEFAULT) or in SET.
func (pl *plan) generatedAlways(st *sql.Insert) *sql.Error {
	t := pl.t
	if st != nil {
		for _, r := range st.Rows {
			for i := range r {
				if c := pl.target[i]; r[i].Op != sql.OpDefault && t.cols[c].identity == sql.IdentityAlways {
					return &sql.Error{Code: sql.CodeGeneratedAlways, Msg: "cannot insert a non-DEFAULT value into column \"" + t.cols[c].name + "\""}
				}
			}
		}
	}
	for _, s := range pl.sets {
		if t.cols[s.col].identity == sql.IdentityAlways {
			return &sql.Error{Code: sql.CodeGeneratedAlways, Msg: "column \"" + t.cols[s.col].name + "\" can only be updated to DEFAULT"}
		}
	}
	return nil
}

// compileReturning compiles a RETURNING list in the scope of the
// statement's table: bare columns and * as SELECT's, a list with
// qualifiers, expressions or aliases as expressions.
func compileReturning(sc *scope, r *sql.Projection, pl *plan) *sql.Error {
	if r == nil {
		return nil
	}
	if r.Items == nil {
		pr, err := sc.t.projection(r)
		if err != nil {
			return err
		}
		pl.ret = &pr
		return nil
	}
	t := sc.t
	pr := &projection{}
	for i := range r.Items {
		it := &r.Items[i]
		if it.Star {
			if it.Table != "" {
				if _, err := sc.qualifier(it.Table); err != nil {
					return err
				}
			}
			for c := range t.cols {
				pr.exprs = append(pr.exprs, &cexpr{op: sql.OpColumn, col: c, typ: t.cols[c].typ})
				pr.names = append(pr.names, t.cols[c].name)
			}
			continue
		}
		n, err := sc.compile(&it.Expr)
		if err != nil {
			return err
		}
		if n.typ == 0 {
			if n.op == sql.OpParam {
				return &sql.Error{Code: "42P18", Msg: "could not determine data type of parameter $" + strconv.Itoa(n.param+1)}
			}
			// An unknown literal is returned as text, as PostgreSQL
			// resolves an output column of unknown type.
			if err := resolve(n, sql.Text, false); err != nil {
				return err
			}
		}
		name := it.Name
		switch {
		case name != "":
		case it.Expr.Op == sql.OpColumn:
			name = it.Expr.Col
		default:
			name = "?column?"
		}
		pr.exprs = append(pr.exprs, n)
		pr.names = append(pr.names, name)
	}
	pl.ret = pr
	return nil
}

func compileUpdate(t *table, st *sql.Update) (*plan, *sql.Error) {
	// In PostgreSQL's order of analysis: WHERE, RETURNING, then SET.
	sc := &scope{t: t}
	pl := &plan{t: t}
	where, err := sc.where(st.Where, "WHERE")
	if err != nil {
		return nil, err
	}
	if err := compileReturning(sc, st.Returning, pl); err != nil {
		return nil, err
	}
	if err := compileSets(t, sc, st.Set, pl); err != nil {
		return nil, err
	}
	if err := pl.generatedAlways(nil); err != nil {
		return nil, err
	}
	if where, err = pl.foldAll(where); err != nil {
		return nil, err
	}
	pl.splitWhere(where)
	return pl, nil
}

func compileDelete(t *table, st *sql.Delete) (*plan, *sql.Error) {
	sc := &scope{t: t}
	pl := &plan{t: t}
	where, err := sc.where(st.Where, "WHERE")
	if err != nil {
		return nil, err
	}
	if err := compileReturning(sc, st.Returning, pl); err != nil {
		return nil, err
	}
	if where, err = pl.foldAll(where); err != nil {
		return nil, err
	}
	pl.splitWhere(where)
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
	values := &scope{t: t, alias: st.Alias, noCols: true}
	for _, r := range st.Rows {
		row := make([]*cexpr, len(r))
		for i := range r {
			c := pl.target[i]
			if r[i].Op == sql.OpDefault {
				continue
			}
			n, err := values.value(&r[i], t, c)
			if err != nil {
				return nil, err
			}
			row[i] = n
		}
		pl.rows = append(pl.rows, row)
	}
	if oc := st.OnConflict; oc != nil {
		pl.onConfl = true
		switch {
		case oc.Constraint != "":
			for _, ix := range t.indexes {
				if ix.name == oc.Constraint {
					pl.arbiters = append(pl.arbiters, ix)
				}
			}
			if pl.arbiters == nil {
				return nil, &sql.Error{Code: sql.CodeUndefinedObject, Msg: "constraint \"" + oc.Constraint + "\" for table \"" + t.name + "\" does not exist"}
			}
		case oc.Target == nil:
			pl.arbiters = t.indexes
		default:
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
			sc := &scope{t: t, alias: st.Alias, excluded: true}
			if err := compileSets(t, sc, oc.Set, pl); err != nil {
				return nil, err
			}
			var err *sql.Error
			if pl.conflWher, err = sc.where(oc.Where, "WHERE"); err != nil {
				return nil, err
			}
		}
	}
	ret := &scope{t: t, alias: st.Alias, upsert: pl.doUpdate}
	if err := compileReturning(ret, st.Returning, pl); err != nil {
		return nil, err
	}
	if err := pl.generatedAlways(st); err != nil {
		return nil, err
	}
	if _, err := pl.foldAll(nil); err != nil {
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

// rangeAccess is a bitmap scan of a range of a unique index's first
// column, bounded by conjuncts c < e, c <= e, c > e, c >= e (either way
// round) with e reading no column: the tightest bound of each side that
// the planner can tell apart is not known before the values are, so the
// first conjunct of each side bounds the scan and the others filter. Its
// pins are left empty: the range's conjuncts are checked on every row, as
// a table scan would check them.
func rangeAccess(t *table, conj []*cexpr) access {
	for _, ix := range t.indexes {
		c := ix.cols[0]
		a := access{ix: ix, rng: true, bitmap: true}
		for _, n := range conj {
			var op sql.Op
			var e *cexpr
			switch n.op {
			case sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe:
			default:
				continue
			}
			x, y := n.args[0], n.args[1]
			switch {
			case x.op == sql.OpColumn && !x.excl && x.col == c && columnFree(y):
				op, e = n.op, y
			case y.op == sql.OpColumn && !y.excl && y.col == c && columnFree(x):
				op, e = flipOp(n.op), x
			default:
				continue
			}
			switch op {
			case sql.OpGt, sql.OpGe:
				if a.lo == nil {
					a.lo, a.loIncl = e, op == sql.OpGe
				}
			default:
				if a.hi == nil {
					a.hi, a.hiIncl = e, op == sql.OpLe
				}
			}
		}
		if a.lo != nil || a.hi != nil {
			return a
		}
	}
	return access{}
}

// flipOp is op with its operands swapped: 1 < c is c > 1.
func flipOp(op sql.Op) sql.Op {
	switch op {
	case sql.OpLt:
		return sql.OpGt
	case sql.OpLe:
		return sql.OpGe
	case sql.OpGt:
		return sql.OpLt
	}
	return sql.OpLe
}

// PostgreSQL's default cost parameters.
const (
	seqPageCost       = 1.0
	randomPageCost    = 4.0
	cpuTupleCost      = 0.01
	cpuIndexTupleCost = 0.005
	cpuOperatorCost   = 0.0025
)

// typeWidth is the average width PostgreSQL's planner assumes for a
// column of type t without statistics (get_typavgwidth).
func typeWidth(t sql.Type) float64 {
	switch t {
	case sql.Int:
		return 4
	case sql.BigInt, sql.Timestamptz:
		return 8
	case sql.Interval:
		return 16
	case sql.Bool:
		return 1
	}
	return 32 // a variable-width type of no declared length
}

// estimate is the planner's idea of a table never vacuumed or analyzed:
// its pages (its real count, but at least 10) and the rows that many
// pages would hold at the width its column types suggest
// (table_block_relation_estimate_size).
func (t *table) estimate() (pages, tuples float64) {
	pages = max(10, float64(len(t.heap)))
	width := float64(24 + 4) // the tuple header, aligned, and its line pointer
	for _, c := range t.cols {
		width += typeWidth(c.typ)
	}
	return pages, math.Floor(float64(heapPageSpace)/width) * pages
}

// rangeWins reports whether PostgreSQL's planner would read a range of
// the index by a bitmap scan rather than scan the table, comparing the
// two costs as cost_seqscan and cost_bitmap_heap_scan (with the B-tree's
// btcostestimate) compute them for a table without statistics: a range
// bounded on one side selects a third of the rows, on both sides 0.5%.
func (pl *plan) rangeWins() bool {
	a := &pl.access
	pages, tuples := pl.t.estimate()
	perTuple := cpuTupleCost + pl.qualOps*cpuOperatorCost
	seq := pages*seqPageCost + tuples*perTuple

	sel, quals := 1.0/3, 1.0
	if a.lo != nil && a.hi != nil {
		sel, quals = 0.005, 2
	}
	idxTuples := sel * tuples
	ixPages, descent := indexShape(a.ix, tuples)
	idxCost := max(1, math.Ceil(idxTuples*ixPages/tuples))*randomPageCost +
		idxTuples*(cpuIndexTupleCost+quals*cpuOperatorCost) + descent

	fetched := max(1, math.Round(idxTuples))
	pf := heapPagesFetched(fetched, pages)
	perPage := randomPageCost
	if pf >= 2 {
		perPage = randomPageCost - (randomPageCost-seqPageCost)*math.Sqrt(pf/pages)
	}
	bitmap := idxCost + 0.1*cpuOperatorCost*fetched + pf*perPage + fetched*perTuple
	return bitmap < seq
}

// indexShape is what btcostestimate knows of a B-tree never analyzed:
// its pages (its leaves, the metapage and, above two or more leaves, a
// root) and the cost of descending it once (a comparison per level of a
// binary search over the tuples it is taken to hold, the table's, and
// fifty operator calls per page from the root down).
func indexShape(ix *index, tuples float64) (pages, descent float64) {
	leaves := len(ix.bt.leaves)
	pages = float64(leaves + 1)
	height := 0.0
	if leaves > 1 {
		pages++
		height = 1
	}
	return pages, math.Ceil(math.Log2(tuples))*cpuOperatorCost + (height+1)*50*cpuOperatorCost
}

// heapPagesFetched is the heap pages PostgreSQL expects a scan that
// fetches n tuples in an order unrelated to the heap's to read, of a
// table of pages pages with the cache far larger than the table
// (index_pages_fetched, Mackert and Lohman's formula).
func heapPagesFetched(n, pages float64) float64 {
	pf := 2 * pages * n / (2*pages + n)
	if pf >= pages {
		return pages
	}
	return math.Ceil(pf)
}

// orderedWins reports whether PostgreSQL's planner answers ORDER BY ...
// LIMIT limit (-1: no limit) by reading the index in order (the ordered
// access) rather than by sorting a table scan. It prices each path as
// cost_index, cost_seqscan and cost_sort do for a table never analyzed —
// the index scan reads every entry and, the index's order being unrelated
// to the heap's, the heap pages at random; the sort is a top-N heap sort
// when it keeps fewer than half its rows — adds LockRows' charge per row
// under a row lock, and compares what the Limit over each costs: the
// path's startup cost and the share of the rest that limit of the rows it
// expects take (adjust_limit_rows_costs). With a WHERE that keeps few rows
// by PostgreSQL's default selectivities (state = 'pending': 0.5%), a limit
// past one or two of them makes the sort the cheaper plan, and the
// statement then reads, and at serializable locks, the whole table.
func (pl *plan) orderedWins(limit int64) bool {
	pages, tuples := pl.t.estimate()
	rows := max(1, math.RoundToEven(tuples*selectivity(pl.t, pl.quals, tuples)))
	perTuple := cpuTupleCost + pl.qualOps*cpuOperatorCost

	ixPages, descent := indexShape(pl.access.ix, tuples)
	ixStart := descent
	ixTotal := descent + ixPages*randomPageCost + tuples*cpuIndexTupleCost +
		heapPagesFetched(tuples, pages)*randomPageCost + tuples*perTuple

	n := max(2, rows)
	cmpCost := 2 * cpuOperatorCost
	sortStart := pages*seqPageCost + tuples*perTuple
	if l := float64(limit); limit > 0 && l < n && n > 2*l {
		sortStart += cmpCost * n * math.Log2(2*l)
	} else {
		sortStart += cmpCost * n * math.Log2(n)
	}
	sortTotal := sortStart + cpuOperatorCost*n

	if pl.lock != 0 {
		ixTotal += cpuTupleCost * rows
		sortTotal += cpuTupleCost * rows
	}
	under := func(start, total float64) float64 {
		if limit < 0 || float64(limit) >= rows {
			return total
		}
		return start + (total-start)*float64(limit)/rows
	}
	return under(ixStart, ixTotal) < under(sortStart, sortTotal)
}

// PostgreSQL's selectivities for a column it has no statistics on
// (selfuncs.h): an equality keeps one row in 200 distinct values, a
// comparison a third, a range bounded on both sides 0.5%, IS NULL 0.5%.
const (
	defaultEqSel    = 0.005
	defaultIneqSel  = 1.0 / 3
	defaultRangeSel = 0.005
	defaultNullSel  = 0.005
)

// selectivity is the share of t's rows (tuples of them, by estimate) that
// PostgreSQL's planner, without statistics, expects the conjuncts to keep
// (clauselist_selectivity): the product of each one's, but a lower and an
// upper bound on one column count together as a range.
func selectivity(t *table, conj []*cexpr, tuples float64) float64 {
	s := 1.0
	type bounds struct{ lo, hi bool }
	var ranges map[int]*bounds
	var order []int // the columns of ranges, in the order first met
	for _, c := range conj {
		col, upper, ok := boundOf(c)
		if !ok {
			s *= clauseSel(t, c, tuples)
			continue
		}
		if ranges == nil {
			ranges = make(map[int]*bounds)
		}
		b := ranges[col]
		if b == nil {
			b = &bounds{}
			ranges[col] = b
			order = append(order, col)
		}
		if upper {
			b.hi = true
		} else {
			b.lo = true
		}
	}
	for _, col := range order {
		if b := ranges[col]; b.lo && b.hi {
			s *= defaultRangeSel
		} else {
			s *= defaultIneqSel
		}
	}
	return s
}

// boundOf reports whether c compares a column with a value that reads no
// column, and whether it bounds the column from above.
func boundOf(c *cexpr) (col int, upper, ok bool) {
	switch c.op {
	case sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe:
	default:
		return 0, false, false
	}
	a, b := c.args[0], c.args[1]
	upper = c.op == sql.OpLt || c.op == sql.OpLe
	switch {
	case a.op == sql.OpColumn && columnFree(b):
		return a.col, upper, true
	case b.op == sql.OpColumn && columnFree(a):
		return b.col, !upper, true
	}
	return 0, false, false
}

// clauseSel is one clause's selectivity (clause_selectivity): an
// equality of a column with a value keeps one of its distinct values —
// two for a boolean, every row for the sole column of a unique index,
// else the default 200 — OR and NOT combine their operands' as
// independent events, and IN counts as an OR of equalities.
func clauseSel(t *table, c *cexpr, tuples float64) float64 {
	switch c.op {
	case sql.OpConst:
		if c.val.Bool() {
			return 1
		}
		return 0
	case sql.OpAnd:
		return selectivity(t, c.args, tuples)
	case sql.OpOr:
		s := 0.0
		for _, a := range c.args {
			sa := clauseSel(t, a, tuples)
			s = s + sa - s*sa
		}
		return s
	case sql.OpNot:
		return 1 - clauseSel(t, c.args[0], tuples)
	case sql.OpEq:
		return eqSel(t, c.args[0], c.args[1], tuples)
	case sql.OpNe:
		return 1 - eqSel(t, c.args[0], c.args[1], tuples)
	case sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe:
		return defaultIneqSel
	case sql.OpIsNull:
		return defaultNullSel
	case sql.OpIsNotNull:
		return 1 - defaultNullSel
	case sql.OpIn, sql.OpNotIn:
		s := 0.0
		if c.op == sql.OpNotIn {
			s = 1
		}
		for _, e := range c.args[1:] {
			se := eqSel(t, c.args[0], e, tuples)
			if c.op == sql.OpNotIn {
				s *= 1 - se
			} else {
				s = s + se - s*se
			}
		}
		return s
	case sql.OpColumn:
		return eqSel(t, c, &cexpr{op: sql.OpConst, val: sql.BoolValue(true)}, tuples)
	}
	return 0.5
}

// eqSel is the selectivity of a = b (var_eq_const without statistics).
func eqSel(t *table, a, b *cexpr, tuples float64) float64 {
	if b.op == sql.OpColumn && columnFree(a) {
		a, b = b, a
	}
	if a.op != sql.OpColumn || !columnFree(b) {
		return defaultEqSel
	}
	if b.op == sql.OpConst && b.val.IsNull() {
		return 0
	}
	if t.cols[a.col].typ == sql.Bool {
		return 0.5
	}
	for _, ix := range t.indexes {
		if len(ix.cols) == 1 && ix.cols[0] == a.col {
			return 1 / tuples
		}
	}
	return defaultEqSel
}
