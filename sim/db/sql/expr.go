package sql

import (
	"math"
	"strconv"
	"strings"
)

// The expression grammar, by PostgreSQL's precedence from loosest to
// tightest: OR, AND, NOT, IS [NOT] NULL, the comparisons (which do not
// chain), [NOT] IN, + and -, %, unary minus. Operators PostgreSQL has and
// this dialect lacks are refused with 0A000 where they stand.

// MaxExprDepth is how deeply an expression may nest: both the tree it
// parses into (a chain a + b + c + ... is as deep as it is long, since its
// operators nest to the left) and the parentheses, NOTs, minus signs and
// IN lists the parser descends through to read it. Parsing, planning and
// evaluating an expression each recurse once per level, so without a bound
// a text of a few megabytes would take a gigabyte of goroutine stack and
// then crash the process. PostgreSQL bounds the same recursion by its
// max_stack_depth setting (2 MB by default, which takes a few thousand
// levels) and reports 54001; at 1,000 levels this dialect's own stack
// stays at a few megabytes, and no statement a person or a strategy writes
// comes near it.
const MaxExprDepth = 1000

// tooDeep stops the parse with 54001, as PostgreSQL stops one that would
// overflow its stack.
func (p *parser) tooDeep() {
	p.fail(CodeStackDepthExceeded, "stack depth limit exceeded: an expression may nest at most "+strconv.Itoa(MaxExprDepth)+" levels deep (idemsim's limit)")
}

// descend is called before the parser reads a nested expression, and
// ascend after: they bound the parser's own recursion.
func (p *parser) descend() {
	if p.nest++; p.nest > MaxExprDepth {
		p.tooDeep()
	}
}

func (p *parser) ascend() { p.nest-- }

// setDepth records d as the depth of the expression just read, and bounds
// the depth of the tree that the planner and the evaluator recurse over.
func (p *parser) setDepth(d int) {
	if d > MaxExprDepth {
		p.tooDeep()
	}
	p.depth = d
}

// binary reads the right operand of op with read and joins it to e, the
// left operand, whose depth is in p.depth.
func (p *parser) binary(op Op, e Expr, read func() Expr) Expr {
	left := p.depth
	r := read()
	p.setDepth(max(left, p.depth) + 1)
	return Binary(op, e, r)
}

// expr reads an expression, and leaves its depth in p.depth.
func (p *parser) expr() Expr {
	e := p.andExpr()
	for p.acceptKw("or") {
		e = p.binary(OpOr, e, p.andExpr)
	}
	return e
}

func (p *parser) andExpr() Expr {
	e := p.notExpr()
	for p.acceptKw("and") {
		e = p.binary(OpAnd, e, p.notExpr)
	}
	return e
}

func (p *parser) notExpr() Expr {
	if p.acceptKw("not") {
		p.descend()
		a := p.notExpr()
		p.ascend()
		p.setDepth(p.depth + 1)
		return Expr{Op: OpNot, Args: []Expr{a}}
	}
	return p.isExpr()
}

func (p *parser) isExpr() Expr {
	e := p.cmpExpr()
	for p.isKw("is") {
		p.next()
		op := OpIsNull
		if p.acceptKw("not") {
			op = OpIsNotNull
		}
		if !p.acceptKw("null") {
			if p.isKwIn("true", "false", "unknown", "distinct", "document", "normalized", "json", "of", "nfc", "nfd", "nfkc", "nfkd") {
				p.unsupported("IS [NOT] " + strings.ToUpper(p.tok.text))
			}
			p.syntaxError(`"null"`)
		}
		e = Expr{Op: op, Args: []Expr{e}}
		p.setDepth(p.depth + 1)
		if _, ok := p.cmpOp(); ok {
			p.unsupported("a comparison of the result of IS NULL")
		}
	}
	if p.isKwIn("isnull", "notnull") {
		p.unsupportedHint(strings.ToUpper(p.tok.text), "write IS [NOT] NULL")
	}
	return e
}

// cmpOp reports the comparison operator at the current token.
func (p *parser) cmpOp() (Op, bool) {
	if p.tok.kind != tokOp {
		return 0, false
	}
	switch p.tok.text {
	case "=":
		return OpEq, true
	case "<>", "!=":
		return OpNe, true
	case "<":
		return OpLt, true
	case "<=":
		return OpLe, true
	case ">":
		return OpGt, true
	case ">=":
		return OpGe, true
	}
	return 0, false
}

func (p *parser) cmpExpr() Expr {
	e := p.inExpr()
	if op, ok := p.cmpOp(); ok {
		p.next()
		e = p.binary(op, e, p.inExpr)
		if _, ok := p.cmpOp(); ok {
			// PostgreSQL's comparison operators do not associate.
			p.syntaxError("")
		}
	}
	return e
}

func (p *parser) inExpr() Expr {
	e := p.addExpr()
	op := OpIn
	switch {
	case p.isKw("not") && p.peekKw("in"):
		p.next()
		op = OpNotIn
	case p.isKw("not") && (p.peekKw("like") || p.peekKw("ilike") || p.peekKw("similar") || p.peekKw("between")):
		p.next()
		p.unsupported("NOT " + strings.ToUpper(p.tok.text))
	case p.isKwIn("like", "ilike", "similar", "between", "overlaps"):
		p.unsupported(strings.ToUpper(p.tok.text))
	}
	if !p.acceptKw("in") {
		return e
	}
	if !p.acceptOp("(") {
		p.syntaxError(`"("`)
	}
	if p.isKwIn("select", "with", "values") {
		p.unsupported("a subquery")
	}
	args := []Expr{e}
	depth := p.depth
	p.descend()
	for {
		args = append(args, p.expr())
		depth = max(depth, p.depth)
		if p.acceptOp(",") {
			continue
		}
		if p.acceptOp(")") {
			break
		}
		p.syntaxError(`"," or ")"`)
	}
	p.ascend()
	p.setDepth(depth + 1)
	e = Expr{Op: op, Args: args}
	if p.isKwIn("in", "like", "ilike", "similar", "between") || p.isKw("not") && p.peekKw("in") {
		p.syntaxError("") // IN does not associate in PostgreSQL either
	}
	return e
}

// knownOps are the symbolic operators this dialect has.
var knownOps = map[string]bool{"+": true, "-": true, "%": true, "=": true, "<>": true, "!=": true, "<": true, "<=": true, ">": true, ">=": true}

func (p *parser) addExpr() Expr {
	e := p.modExpr()
	for {
		switch {
		case p.isOp("+"):
			p.next()
			e = p.binary(OpAdd, e, p.modExpr)
		case p.isOp("-"):
			p.next()
			e = p.binary(OpSub, e, p.modExpr)
		case p.tok.kind == tokOp && isOpChar(p.tok.text[0]) && !knownOps[p.tok.text]:
			p.unsupported("the operator " + p.tok.raw)
		default:
			return e
		}
	}
}

func (p *parser) modExpr() Expr {
	e := p.unaryExpr()
	for p.acceptOp("%") {
		e = p.binary(OpMod, e, p.unaryExpr)
	}
	return e
}

func (p *parser) unaryExpr() Expr {
	switch {
	case p.isOp("-"):
		p.next()
		if p.tok.kind == tokInt {
			// PostgreSQL's grammar folds a minus sign into the integer
			// after it, so -2147483648 is an int.
			e := Lit(IntValue(p.intLiteral(true)))
			p.next()
			p.depth = 1
			return p.postfix(e)
		}
		p.descend()
		a := p.unaryExpr()
		p.ascend()
		if a.Op == OpConst && a.Value.Kind == IntKind {
			if a.Value.Int == math.MinInt64 {
				p.lateError(CodeNumericOutOfRange, "bigint out of range")
				return a
			}
			return Lit(IntValue(-a.Value.Int))
		}
		p.setDepth(p.depth + 1)
		return Expr{Op: OpNeg, Args: []Expr{a}}
	case p.isOp("+"):
		p.unsupported("unary plus")
	}
	return p.postfix(p.primary())
}

// postfix refuses what PostgreSQL reads right after an operand and this
// dialect does not.
func (p *parser) postfix(e Expr) Expr {
	switch {
	case p.isOp("::"):
		p.unsupportedHint("a cast (::)", "write a typed literal: timestamptz '...', interval '...'")
	case p.isOp("["):
		p.unsupported("a subscript")
	case p.isOp("."):
		p.unsupported("a field selection")
	case p.isKw("collate"):
		p.unsupported("COLLATE")
	case p.isKw("at") && p.peekKw("time"):
		p.unsupported("AT TIME ZONE")
	}
	return e
}

// primary reads a literal, parameter, column, now() or parenthesized
// expression.
func (p *parser) primary() Expr {
	p.depth = 1 // a leaf; a parenthesized expression sets its own
	switch p.tok.kind {
	case tokInt:
		e := Lit(IntValue(p.intLiteral(false)))
		p.next()
		return e
	case tokString:
		e := Lit(TextValue(p.tok.text))
		p.next()
		return e
	case tokParam:
		e := Par(p.tok.num)
		p.next()
		return e
	case tokIdent:
		return p.identPrimary()
	case tokOp:
		if p.acceptOp("(") {
			if p.isKwIn("select", "with", "values") {
				p.unsupported("a subquery")
			}
			p.descend()
			e := p.expr()
			if p.isOp(",") {
				p.unsupported("a row constructor")
			}
			p.expectOp(")")
			p.ascend()
			return e
		}
	}
	p.syntaxError("an expression")
	return Expr{}
}

// identPrimary reads an expression that starts with a name or keyword.
func (p *parser) identPrimary() Expr {
	t := p.tok
	next := p.peek()
	switch t.text {
	case "null":
		p.next()
		return Lit(Value{})
	case "true", "false":
		p.next()
		return Lit(BoolValue(t.text == "true"))
	case "current_timestamp":
		p.next()
		if p.isOp("(") {
			p.unsupported("CURRENT_TIMESTAMP with a precision")
		}
		return Expr{Op: OpNow}
	case "now":
		if next.kind == tokOp && next.text == "(" {
			p.next()
			p.next()
			if !p.acceptOp(")") {
				p.unsupported("now() with arguments")
			}
			return Expr{Op: OpNow}
		}
	case "timestamptz", "interval", "boolean", "bool":
		if next.kind == tokString {
			return p.typedLiteral(t.text)
		}
	case "timestamp":
		switch {
		case next.kind == tokIdent && next.text == "with":
			p.next()
			p.next()
			p.expectKw("time")
			p.expectKw("zone")
			if p.tok.kind != tokString {
				p.syntaxError("a string constant")
			}
			return p.literalOf("timestamptz")
		case next.kind == tokString:
			p.unsupportedHint("timestamp without time zone", "write timestamptz '...+00'")
		}
	case "case", "cast", "array", "exists", "row", "current_date", "current_time", "localtime",
		"localtimestamp", "current_user", "session_user", "user", "extract", "coalesce", "nullif",
		"greatest", "least":
		p.unsupported(strings.ToUpper(t.text))
	case "default":
		p.unsupported("DEFAULT here")
	}
	switch {
	case next.kind == tokString && t.kw != kwReserved:
		p.unsupported("a typed constant (type 'value') other than timestamptz, timestamp with time zone, interval or boolean")
	case next.kind == tokOp && next.text == "(" && t.kw != kwReserved:
		p.unsupported("a function call")
	case t.kw == kwReserved || t.kw == kwTypeFunc:
		p.syntaxError("an expression")
	}
	name := p.name("a column name")
	if !p.acceptOp(".") {
		return Column(name)
	}
	if p.isOp("*") {
		p.unsupported(name + ".*")
	}
	col := p.name("a column name")
	if p.isOp(".") {
		p.unsupported("a name with more than two parts")
	}
	return Expr{Op: OpColumn, Table: name, Col: col}
}

// typedLiteral reads TYPE 'text' for the types whose literals this dialect
// reads.
func (p *parser) typedLiteral(typ string) Expr {
	p.next()
	return p.literalOf(typ)
}

// literalOf reads the string at the current token as a constant of typ.
// An error PostgreSQL would report is kept for the end of the parse; one
// PostgreSQL would not is reported at once, as unsupported.
func (p *parser) literalOf(typ string) Expr {
	text := p.tok.text
	var v Value
	var err *Error
	switch typ {
	case "timestamptz":
		v, err = ParseTimestamp(text)
	case "interval":
		v, err = ParseInterval(text)
	default:
		v, err = ParseBool(text)
	}
	if err != nil {
		if err.Code == codeFeatureNotSupported {
			p.fail(err.Code, err.Msg+" ("+p.near()+")")
		}
		p.lateError(err.Code, err.Msg)
	}
	p.next()
	if typ == "interval" && p.tok.kind == tokIdent && intervalFields[p.tok.text] {
		p.unsupported("an interval literal with fields")
	}
	return Lit(v)
}

// primaryNoColumn reads the expression of a DEFAULT clause, which may only
// be a literal or now() here; what names the construct refused otherwise.
func (p *parser) primaryNoColumn(what string) Expr {
	if p.isOp("(") || p.tok.kind == tokParam {
		p.unsupported(what)
	}
	e := p.unaryExpr()
	if e.Op != OpConst && e.Op != OpNow {
		p.unsupported(what)
	}
	return e
}

// intLiteral is the value of the current integer token, negated if neg.
func (p *parser) intLiteral(neg bool) int64 {
	var u uint64
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for i := 0; i < len(p.tok.text); i++ {
		d := uint64(p.tok.text[i] - '0')
		if u > (limit-d)/10 {
			sign := ""
			if neg {
				sign = "-"
			}
			p.lateError(CodeNumericOutOfRange, "value "+quote(sign+p.tok.text)+" is out of range for type bigint")
			return math.MaxInt64 // any value: the statement is not returned
		}
		u = u*10 + d
	}
	if neg {
		return int64(-u) // u <= 1<<63, so -u wraps to the two's complement
	}
	return int64(u)
}

// lateError records a literal's error, to be reported if the text parses.
func (p *parser) lateError(code, msg string) {
	if p.late == nil {
		p.late = &Error{Code: code, Msg: msg}
	}
}

// Params returns the highest $n the statement uses, 0 if none.
func Params(s Stmt) int {
	n := 0
	switch s := s.(type) {
	case *Insert:
		for _, row := range s.Rows {
			for i := range row {
				n = highestParam(&row[i], n)
			}
		}
		if oc := s.OnConflict; oc != nil {
			for i := range oc.Set {
				n = highestParam(&oc.Set[i].Value, n)
			}
			n = highestParam(oc.Where, n)
		}
		n = returningParams(s.Returning, n)
	case *Select:
		n = highestParam(s.Where, n)
		n = highestParam(s.Limit, n)
	case *Update:
		for i := range s.Set {
			n = highestParam(&s.Set[i].Value, n)
		}
		n = highestParam(s.Where, n)
		n = returningParams(s.Returning, n)
	case *Delete:
		n = highestParam(s.Where, n)
		n = returningParams(s.Returning, n)
	}
	return n
}

// returningParams is the larger of n and the highest $n in a RETURNING list.
func returningParams(r *Projection, n int) int {
	if r == nil {
		return n
	}
	for i := range r.Items {
		n = highestParam(&r.Items[i].Expr, n)
	}
	return n
}

// highestParam is the larger of n and the highest $n in e.
func highestParam(e *Expr, n int) int {
	if e == nil {
		return n
	}
	if e.Op == OpParam && e.Param > n {
		n = e.Param
	}
	for i := range e.Args {
		n = highestParam(&e.Args[i], n)
	}
	return n
}
