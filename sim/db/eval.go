package db

import (
	"math"

	"github.com/idemsim/idemsim/sim/db/sql"
)

// Evaluation of compiled expressions, with SQL's three-valued logic: NULL
// is unknown, a comparison with it is NULL, AND is false if either side is
// false, OR true if either is true, and a row qualifies only when its WHERE
// is true.

var (
	sqlTrue  = sql.BoolValue(true)
	sqlFalse = sql.BoolValue(false)
)

func boolValue(b bool) sql.Value {
	if b {
		return sqlTrue
	}
	return sqlFalse
}

// eval computes n for a row (and ON CONFLICT's proposed row excl).
func (x *exec) eval(n *cexpr, row, excl []sql.Value) (sql.Value, *sql.Error) {
	switch n.op {
	case sql.OpConst:
		return n.val, nil
	case sql.OpColumn:
		if n.excl {
			return excl[n.col], nil
		}
		return row[n.col], nil
	case sql.OpParam:
		return coerceParam(x.args[n.param], n.want, n.assign)
	case sql.OpNow:
		return x.tx.start, nil
	case opCastText:
		v, err := x.eval(n.args[0], row, excl)
		if err != nil || v.IsNull() {
			return v, err
		}
		return sql.TextValue(v.String()), nil
	case opCastInt:
		v, err := x.eval(n.args[0], row, excl)
		if err != nil || v.IsNull() {
			return v, err
		}
		if !fits(sql.Int, v.Int) {
			return sql.Value{}, outOfRange(sql.Int)
		}
		return v, nil
	case sql.OpAnd, sql.OpOr:
		// Operands in order, as PostgreSQL's executor takes them: the
		// first false (AND) or true (OR) decides; otherwise the result is
		// NULL if an operand was.
		decisive := n.op == sql.OpOr
		sawNull := false
		for _, a := range n.args {
			v, err := x.eval(a, row, excl)
			if err != nil {
				return v, err
			}
			if v.IsNull() {
				sawNull = true
				continue
			}
			if v.Bool() == decisive {
				return v, nil
			}
		}
		if sawNull {
			return sql.Value{}, nil
		}
		return boolValue(!decisive), nil
	case sql.OpNot:
		a, err := x.eval(n.args[0], row, excl)
		if err != nil || a.IsNull() {
			return a, err
		}
		return boolValue(!a.Bool()), nil
	case sql.OpIsNull, sql.OpIsNotNull:
		a, err := x.eval(n.args[0], row, excl)
		if err != nil {
			return a, err
		}
		return boolValue(a.IsNull() == (n.op == sql.OpIsNull)), nil
	case sql.OpEq, sql.OpNe, sql.OpLt, sql.OpLe, sql.OpGt, sql.OpGe:
		a, err := x.eval(n.args[0], row, excl)
		if err != nil {
			return a, err
		}
		b, err := x.eval(n.args[1], row, excl)
		if err != nil || a.IsNull() || b.IsNull() {
			return sql.Value{}, err
		}
		c := sql.CompareSQL(a, b)
		switch n.op {
		case sql.OpEq:
			return boolValue(c == 0), nil
		case sql.OpNe:
			return boolValue(c != 0), nil
		case sql.OpLt:
			return boolValue(c < 0), nil
		case sql.OpLe:
			return boolValue(c <= 0), nil
		case sql.OpGt:
			return boolValue(c > 0), nil
		}
		return boolValue(c >= 0), nil
	case sql.OpIn, sql.OpNotIn:
		return x.evalIn(n, row, excl)
	case sql.OpNeg:
		a, err := x.eval(n.args[0], row, excl)
		if err != nil || a.IsNull() {
			return a, err
		}
		return negate(n.typ, a)
	case sql.OpAdd, sql.OpSub, sql.OpMod:
		a, err := x.eval(n.args[0], row, excl)
		if err != nil {
			return a, err
		}
		b, err := x.eval(n.args[1], row, excl)
		if err != nil || a.IsNull() || b.IsNull() {
			return sql.Value{}, err
		}
		return arithmetic(n.op, n.typ, a, b)
	}
	return sql.Value{}, &sql.Error{Code: sql.CodeFeatureNotSupported, Msg: "expression not supported"}
}

// matches reports whether n is true for row (nil is true).
func (x *exec) matches(n *cexpr, row, excl []sql.Value) (bool, *sql.Error) {
	if n == nil {
		return true, nil
	}
	v, err := x.eval(n, row, excl)
	return v.Bool(), err
}

// all reports whether every one of quals is true for row, taking them in
// order and stopping at the first that is not, as PostgreSQL's ExecQual
// does.
func (x *exec) all(quals []*cexpr, row []sql.Value) (bool, *sql.Error) {
	for _, q := range quals {
		if ok, err := x.matches(q, row, nil); err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// evalIn is x [not] in (...): true if x equals an element; else NULL if x
// or an element is NULL; else false (negated for NOT IN).
func (x *exec) evalIn(n *cexpr, row, excl []sql.Value) (sql.Value, *sql.Error) {
	a, err := x.eval(n.args[0], row, excl)
	if err != nil || a.IsNull() {
		return sql.Value{}, err
	}
	found, sawNull := false, false
	if n.set != nil {
		found, sawNull = n.set[sql.IntervalKey(a)], n.setNull
	} else {
		for _, e := range n.args[1:] {
			v, err := x.eval(e, row, excl)
			if err != nil {
				return v, err
			}
			if v.IsNull() {
				sawNull = true
				continue
			}
			if sql.CompareSQL(a, v) == 0 {
				found = true
				break
			}
		}
	}
	switch {
	case found:
		return boolValue(n.op == sql.OpIn), nil
	case sawNull:
		return sql.Value{}, nil
	}
	return boolValue(n.op == sql.OpNotIn), nil
}

func outOfRange(t sql.Type) *sql.Error {
	msg := "bigint out of range"
	switch t {
	case sql.Int:
		msg = "integer out of range"
	case sql.Timestamptz:
		return &sql.Error{Code: sql.CodeDatetimeOverflow, Msg: "timestamp out of range"}
	case sql.Interval:
		return &sql.Error{Code: sql.CodeDatetimeOverflow, Msg: "interval out of range"}
	}
	return &sql.Error{Code: sql.CodeNumericOutOfRange, Msg: msg}
}

func fits(t sql.Type, n int64) bool {
	return t != sql.Int || n >= math.MinInt32 && n <= math.MaxInt32
}

func negate(t sql.Type, a sql.Value) (sql.Value, *sql.Error) {
	if a.Kind == sql.IntervalKind {
		if a.Days == math.MinInt32 || a.Int == math.MinInt64 {
			return sql.Value{}, outOfRange(sql.Interval)
		}
		return sql.IntervalValue(-a.Days, -a.Int), nil
	}
	if a.Int == math.MinInt64 || !fits(t, -a.Int) {
		return sql.Value{}, outOfRange(t)
	}
	return sql.IntValue(-a.Int), nil
}

// add64 is a+b, and whether it did not overflow.
func add64(a, b int64) (int64, bool) {
	s := a + b
	return s, !(b > 0 && s < a || b < 0 && s > a)
}

func sub64(a, b int64) (int64, bool) {
	s := a - b
	return s, !(b < 0 && s < a || b > 0 && s > a)
}

// arithmetic is a op b for non-NULL operands of the types compiled.
func arithmetic(op sql.Op, t sql.Type, a, b sql.Value) (sql.Value, *sql.Error) {
	switch {
	case a.Kind == sql.IntKind && b.Kind == sql.IntKind:
		var r int64
		ok := true
		switch op {
		case sql.OpAdd:
			r, ok = add64(a.Int, b.Int)
		case sql.OpSub:
			r, ok = sub64(a.Int, b.Int)
		default:
			if b.Int == 0 {
				return sql.Value{}, &sql.Error{Code: sql.CodeDivisionByZero, Msg: "division by zero"}
			}
			r = a.Int % b.Int // Go's %, like C's, takes the dividend's sign, as PostgreSQL's does
		}
		if !ok || !fits(t, r) {
			return sql.Value{}, outOfRange(t)
		}
		return sql.IntValue(r), nil
	case a.Kind == sql.TimeKind && b.Kind == sql.TimeKind:
		// timestamptz - timestamptz: the time apart, whole days of 24
		// hours split off (PostgreSQL's interval_justify_hours).
		d, ok := sub64(a.Int, b.Int)
		if !ok {
			return sql.Value{}, outOfRange(sql.Interval)
		}
		days := d / sql.MicrosPerDay
		return sql.IntervalValue(int32(days), d-days*sql.MicrosPerDay), nil
	case a.Kind == sql.IntervalKind && b.Kind == sql.IntervalKind:
		days, us := int64(a.Days)+int64(b.Days), int64(0)
		ok := true
		if op == sql.OpSub {
			days = int64(a.Days) - int64(b.Days)
			us, ok = sub64(a.Int, b.Int)
		} else {
			us, ok = add64(a.Int, b.Int)
		}
		if !ok || days < math.MinInt32 || days > math.MaxInt32 {
			return sql.Value{}, outOfRange(sql.Interval)
		}
		return sql.IntervalValue(int32(days), us), nil
	}
	// timestamptz ± interval, interval + timestamptz: days are 24 hours in
	// UTC.
	ts, iv := a, b
	if a.Kind == sql.IntervalKind {
		ts, iv = b, a
	}
	delta, ok1 := add64(int64(iv.Days)*sql.MicrosPerDay, iv.Int)
	if op == sql.OpSub {
		delta = -delta
	}
	r, ok2 := add64(ts.Int, delta)
	res := sql.Value{Kind: sql.TimeKind, Int: r}
	if !ok1 || !ok2 || !sql.ValidTimestamp(res) {
		return sql.Value{}, outOfRange(sql.Timestamptz)
	}
	return res, nil
}

// kindType is the type a parameter's value has.
func kindType(v sql.Value) sql.Type {
	switch v.Kind {
	case sql.IntKind:
		return sql.BigInt
	case sql.TextKind:
		return sql.Text
	case sql.BoolKind:
		return sql.Bool
	case sql.TimeKind:
		return sql.Timestamptz
	case sql.IntervalKind:
		return sql.Interval
	}
	return 0
}

// coerceParam converts a parameter's value to the type its place gives it:
// text is read as that type (as PostgreSQL reads a parameter sent as
// text); a value of another kind is an error, except that anything
// assigned to a text column becomes its text.
func coerceParam(v sql.Value, want sql.Type, assign bool) (sql.Value, *sql.Error) {
	if v.IsNull() || want == 0 {
		return v, nil
	}
	switch {
	case v.Kind == sql.TextKind:
		return convertText(v.Text, want)
	case want.Integer() && v.Kind == sql.IntKind:
		if !assign && !fits(want, v.Int) {
			return sql.Value{}, &sql.Error{Code: sql.CodeNumericOutOfRange, Msg: "value \"" + v.String() + "\" is out of range for type integer"}
		}
		return v, nil
	case kindType(v) == want:
		return v, nil
	case want == sql.Text && assign:
		return sql.TextValue(v.String()), nil
	case assign:
		return sql.Value{}, &sql.Error{Code: sql.CodeDatatypeMismatch, Msg: "a parameter of type " + kindType(v).String() + " assigned to a column of type " + want.String()}
	}
	return sql.Value{}, noOperator(sql.OpEq, want, kindType(v))
}
