package sql

import "strings"

// The statements other than the transaction-control ones, each read from
// its first keyword to the end of the text.

// codeInvalidParameterValue is PostgreSQL's code for an identity column of
// a type that is not an integer.
const codeInvalidParameterValue = "22023"

func (p *parser) createTable() Stmt {
	p.next()
	if !p.acceptKw("table") {
		if p.tok.kind == tokIdent && otherObjects[p.tok.text] {
			p.unsupported("CREATE " + strings.ToUpper(p.tok.text))
		}
		p.syntaxError(`"table"`)
	}
	if p.isKw("if") && p.peekKw("not") {
		p.unsupported("CREATE TABLE IF NOT EXISTS")
	}
	s := &CreateTable{Table: p.tableName()}
	if !p.acceptOp("(") {
		if p.isKwIn("as", "of", "partition") {
			p.unsupported("CREATE TABLE " + strings.ToUpper(p.tok.text))
		}
		p.syntaxError(`"("`)
	}
	if p.isOp(")") {
		p.unsupported("a table without columns")
	}
	pks := 0
	var problems []*Error // PostgreSQL's checks after parsing, in order
	for {
		switch {
		case p.isKw("primary"):
			p.next()
			p.expectKw("key")
			s.PrimaryKey = p.keyColumns("primary key")
			pks++
		case p.isKw("unique"):
			p.next()
			if p.isKw("nulls") {
				p.unsupported("UNIQUE NULLS [NOT] DISTINCT")
			}
			s.Uniques = append(s.Uniques, p.keyColumns("unique"))
		case p.isKwIn("constraint", "check", "foreign", "like", "exclude"):
			p.unsupported("the table constraint " + strings.ToUpper(p.tok.text))
		default:
			col := ColumnDef{Name: p.name("a column name")}
			p.columnType(&col)
			n, problem := p.columnConstraints(&col)
			pks += n
			if problem != nil {
				problems = append(problems, problem)
			}
			s.Cols = append(s.Cols, col)
		}
		if p.acceptOp(",") {
			continue
		}
		if p.acceptOp(")") {
			break
		}
		p.syntaxError(`"primary key", "unique", "not null", "default", "generated", "," or ")"`)
	}
	if p.isKwIn("inherits", "partition", "using", "with", "without", "on", "tablespace") {
		p.unsupported("CREATE TABLE ... " + strings.ToUpper(p.tok.text))
	}
	p.end("")
	if len(s.Cols) == 0 {
		p.unsupported("a table without columns")
	}
	if len(problems) > 0 {
		panic(bailout{problems[0]})
	}
	if pks > 1 {
		p.fail(codeInvalidTableDef, "multiple primary keys for table "+quote(s.Table)+" are not allowed")
	}
	if d, ok := duplicate(len(s.Cols), func(i int) string { return s.Cols[i].Name }); ok {
		p.fail(codeDuplicateColumn, "column "+quote(d)+" specified more than once")
	}
	keys := append([][]string{s.PrimaryKey}, s.Uniques...)
	for i, key := range keys {
		what := "unique"
		if i == 0 {
			what = "primary key"
		}
		for _, c := range key {
			found := false
			for _, col := range s.Cols {
				found = found || col.Name == c
			}
			if !found {
				p.fail(CodeUndefinedColumn, "column "+quote(c)+" named in key does not exist")
			}
		}
		if d, ok := duplicate(len(key), func(i int) string { return key[i] }); ok {
			p.fail(codeDuplicateColumn, "column "+quote(d)+" appears twice in "+what+" constraint")
		}
	}
	return s
}

// keyColumns reads the (c, ...) of a table constraint.
func (p *parser) keyColumns(what string) []string {
	if !p.acceptOp("(") {
		if p.isKwIn("using", "include", "with") {
			p.unsupported(strings.ToUpper(what) + " ... " + strings.ToUpper(p.tok.text))
		}
		p.syntaxError(`"("`)
	}
	var cols []string
	for {
		cols = append(cols, p.name("a column name"))
		if p.isKwIn("collate", "asc", "desc") || p.isName() {
			p.unsupported("a key column with options")
		}
		if p.acceptOp(",") {
			continue
		}
		if p.acceptOp(")") {
			break
		}
		p.syntaxError(`"," or ")"`)
	}
	if p.isKwIn("include", "with", "using", "deferrable", "initially", "not") && !(p.isKw("not") && p.peekKw("null")) {
		p.unsupported(strings.ToUpper(what) + " ... " + strings.ToUpper(p.tok.text))
	}
	return cols
}

// columnType reads a column type.
func (p *parser) columnType(col *ColumnDef) {
	if p.tok.kind != tokIdent || p.tok.kw == kwReserved {
		p.syntaxError("a type name")
	}
	switch p.tok.text {
	case "int", "integer", "int4":
		col.Type = Int
	case "bigint", "int8":
		col.Type = BigInt
	case "text":
		col.Type = Text
	case "boolean", "bool":
		col.Type = Bool
	case "timestamptz":
		col.Type = Timestamptz
	case "interval":
		col.Type = Interval
		if next := p.peek(); next.kind == tokIdent && intervalFields[next.text] || next.kind == tokOp && next.text == "(" {
			p.next()
			p.unsupported("an interval type with fields or a precision")
		}
	case "serial", "serial4":
		col.Type, col.Serial = Int, true
	case "bigserial", "serial8":
		col.Type, col.Serial = BigInt, true
	case "timestamp":
		p.next()
		if p.acceptKw("with") {
			p.expectKw("time")
			p.expectKw("zone")
			col.Type = Timestamptz
			p.typeSuffix(col.Type)
			return
		}
		p.unsupportedHint("timestamp without time zone", "use timestamptz")
	default:
		p.unsupportedHint("the type "+quote(p.tok.text),
			"the types are int, integer, int4, bigint, int8, text, boolean, bool, timestamptz, timestamp with time zone, interval, serial, serial4, bigserial and serial8")
	}
	p.next()
	p.typeSuffix(col.Type)
}

// intervalFields are the field names that may follow INTERVAL in a type or
// a typed literal.
var intervalFields = map[string]bool{"year": true, "month": true, "day": true, "hour": true, "minute": true, "second": true}

// typeSuffix refuses what may follow a type name: an array, a qualified
// name, or a type modifier, which only timestamps and intervals take (for
// the others PostgreSQL's grammar or analysis refuses it too, 42601).
func (p *parser) typeSuffix(typ Type) {
	switch {
	case p.isOp("["), p.isKw("array"):
		p.unsupported("an array type")
	case p.isOp("."):
		p.unsupported("a qualified type name")
	case p.isOp("(") && (typ == Timestamptz || typ == Interval):
		p.unsupported("a precision")
	}
}

// columnConstraints reads a column's constraints and options; it returns
// how many primary keys they declare, and the first check PostgreSQL makes
// after parsing that they fail.
func (p *parser) columnConstraints(col *ColumnDef) (int, *Error) {
	pks := 0
	var problem *Error
	note := func(msg string, code string) {
		if problem == nil {
			problem = &Error{Code: code, Msg: msg}
		}
	}
	for {
		switch {
		case p.acceptKw("primary"):
			p.expectKw("key")
			col.PrimaryKey = true
			pks++
		case p.acceptKw("unique"):
			col.Unique = true
			if p.isKw("nulls") {
				p.unsupported("UNIQUE NULLS [NOT] DISTINCT")
			}
		case p.isKw("not") && p.peekKw("null"):
			p.next()
			p.next()
			col.NotNull = true
		case p.isKw("not") && p.peekKw("deferrable"), p.isKw("deferrable"), p.isKw("initially"):
			p.unsupported("a deferrable constraint")
		case p.acceptKw("not"):
			p.syntaxError(`"null"`)
		case p.isKw("null"):
			p.unsupported("the NULL column constraint")
		case p.acceptKw("default"):
			e := p.defaultExpr()
			if col.Default != nil || col.Serial {
				note("multiple default values specified for column "+quote(col.Name)+" of table", CodeSyntaxError)
			}
			if col.Identity != 0 {
				note("both default and identity specified for column "+quote(col.Name), CodeSyntaxError)
			}
			col.Default = &e
		case p.acceptKw("generated"):
			id := IdentityAlways
			if !p.acceptKw("always") {
				if !p.acceptKw("by") {
					p.syntaxError(`"always" or "by default"`)
				}
				p.expectKw("default")
				id = IdentityByDefault
			}
			p.expectKw("as")
			if p.isOp("(") {
				p.unsupported("a generated column")
			}
			p.expectKw("identity")
			if p.isOp("(") {
				p.unsupported("identity options")
			}
			switch {
			case col.Identity != 0:
				note("multiple identity specifications for column "+quote(col.Name), CodeSyntaxError)
			case col.Default != nil || col.Serial:
				note("both default and identity specified for column "+quote(col.Name), CodeSyntaxError)
			case !col.Type.Integer():
				note("identity column type must be smallint, integer, or bigint", codeInvalidParameterValue)
			}
			col.Identity = id
		case p.isKwIn("check", "references", "constraint", "collate", "compression", "storage"):
			p.unsupported("the column option " + strings.ToUpper(p.tok.text))
		default:
			return pks, problem
		}
	}
}

// defaultExpr reads the expression of a DEFAULT clause: a literal or now().
func (p *parser) defaultExpr() Expr {
	e := p.primaryNoColumn("a DEFAULT other than a literal or now()")
	p.noOperatorAfter("a DEFAULT other than a literal or now()")
	if e.Op == OpParam {
		p.unsupported("a parameter in DEFAULT")
	}
	return e
}

func (p *parser) dropTable() Stmt {
	p.next()
	if !p.acceptKw("table") {
		if p.tok.kind == tokIdent && otherObjects[p.tok.text] {
			p.unsupported("DROP " + strings.ToUpper(p.tok.text))
		}
		p.syntaxError(`"table"`)
	}
	s := &DropTable{}
	// "if" is also a name: drop table if drops the table named if.
	if p.isKw("if") && p.peekKw("exists") {
		p.next()
		p.next()
		s.IfExists = true
	}
	s.Table = p.tableName()
	switch {
	case p.isOp(","):
		p.unsupported("dropping more than one table")
	case p.isKwIn("cascade", "restrict"):
		p.unsupported("DROP TABLE ... " + strings.ToUpper(p.tok.text))
	}
	p.end("")
	return s
}

func (p *parser) insert() Stmt {
	p.next()
	p.expectKw("into")
	s := &Insert{Table: p.tableName()}
	// PostgreSQL's grammar takes an INSERT's alias only after AS: "insert
	// into t k" is a syntax error at k, which the VALUES check below gives.
	if p.acceptKw("as") {
		s.Alias = p.name("an alias")
	}
	if p.acceptOp("(") {
		if p.isKwIn("select", "with", "values") {
			p.unsupported("INSERT ... SELECT")
		}
		for {
			s.Cols = append(s.Cols, p.name("a column name"))
			if p.isOp(".") || p.isOp("[") {
				p.unsupported("assignment to a field or element")
			}
			if p.acceptOp(",") {
				continue
			}
			if p.acceptOp(")") {
				break
			}
			p.syntaxError(`"," or ")"`)
		}
	}
	switch {
	case p.acceptKw("values"):
	case p.isKwIn("select", "with", "table"), p.isOp("("):
		p.unsupported("INSERT ... SELECT")
	case p.isKw("default"):
		p.unsupported("DEFAULT VALUES")
	case p.isKw("overriding"):
		p.unsupported("OVERRIDING")
	default:
		p.syntaxError(`"values"`)
	}
	for {
		p.expectOp("(")
		var row []Expr
		for {
			if p.acceptKw("default") {
				row = append(row, Expr{Op: OpDefault})
			} else {
				row = append(row, p.expr())
			}
			if p.acceptOp(",") {
				continue
			}
			if p.acceptOp(")") {
				break
			}
			p.syntaxError(`"," or ")"`)
		}
		s.Rows = append(s.Rows, row)
		if !p.acceptOp(",") {
			break
		}
	}
	more := `"on conflict", "returning"`
	if p.acceptKw("on") {
		p.expectKw("conflict")
		s.OnConflict = p.onConflict()
		more = `"returning"`
	}
	if p.acceptKw("returning") {
		s.Returning = p.returning()
		more = ""
	}
	p.end(more)

	// PostgreSQL's checks after parsing, in its order.
	if d, ok := duplicate(len(s.Cols), func(i int) string { return s.Cols[i] }); ok {
		p.fail(codeDuplicateColumn, "column "+quote(d)+" specified more than once")
	}
	for _, row := range s.Rows {
		switch {
		case len(row) != len(s.Rows[0]):
			p.fail(CodeSyntaxError, "VALUES lists must all be the same length")
		case s.Cols != nil && len(row) > len(s.Cols):
			p.fail(CodeSyntaxError, "INSERT has more expressions than target columns")
		case s.Cols != nil && len(row) < len(s.Cols):
			p.fail(CodeSyntaxError, "INSERT has more target columns than expressions")
		}
	}
	if oc := s.OnConflict; oc != nil && oc.Update {
		if oc.Target == nil && oc.Constraint == "" {
			p.fail(CodeSyntaxError, "ON CONFLICT DO UPDATE requires inference specification or constraint name")
		}
		if d, ok := duplicate(len(oc.Set), func(i int) string { return oc.Set[i].Col }); ok {
			p.fail(CodeSyntaxError, "multiple assignments to same column "+quote(d))
		}
	}
	if s.Returning != nil && s.Returning.Count {
		p.fail(codeGroupingError, "aggregate functions are not allowed in RETURNING")
	}
	return s
}

// onConflict reads what follows ON CONFLICT.
func (p *parser) onConflict() *OnConflict {
	oc := &OnConflict{}
	if p.acceptOp("(") {
		for {
			if p.isOp("(") || p.tok.kind == tokIdent && p.peekOp("(") {
				p.unsupported("a conflict target other than column names")
			}
			oc.Target = append(oc.Target, p.name("a column name"))
			if p.isOp(".") || p.atOperator() || p.isKw("collate") || p.isName() {
				p.unsupported("a conflict target other than column names")
			}
			if p.acceptOp(",") {
				continue
			}
			p.expectOp(")")
			break
		}
		if p.isKw("where") {
			p.unsupported("a conflict target with WHERE")
		}
	} else if p.acceptKw("on") {
		p.expectKw("constraint")
		oc.Constraint = p.name("a constraint name")
	}
	p.expectKw("do")
	if p.acceptKw("nothing") {
		return oc
	}
	if !p.acceptKw("update") {
		p.syntaxError(`"nothing" or "update"`)
	}
	oc.Update = true
	p.expectKw("set")
	oc.Set = p.setList()
	if p.acceptKw("where") {
		w := p.expr()
		oc.Where = &w
	}
	return oc
}

// setList reads c = E, ... of UPDATE or ON CONFLICT DO UPDATE.
func (p *parser) setList() []SetClause {
	var set []SetClause
	for {
		if p.isOp("(") {
			p.unsupported("a multiple-column assignment")
		}
		col := p.name("a column name")
		if p.isOp(".") || p.isOp("[") {
			p.unsupported("assignment to a field or element")
		}
		p.expectOp("=")
		if p.isKw("default") {
			p.unsupported("SET ... = DEFAULT")
		}
		set = append(set, SetClause{Col: col, Value: p.expr()})
		if !p.acceptOp(",") {
			return set
		}
	}
}

// projection reads * | count(*) | c, ... after SELECT or RETURNING.
func (p *parser) projection() Projection {
	if p.acceptOp("*") {
		if p.isOp(",") {
			p.unsupported("* with other output columns")
		}
		return Projection{Star: true}
	}
	if p.isKw("count") && p.peekOp("(") {
		p.next()
		p.next()
		if !p.acceptOp("*") {
			p.unsupported("count() of anything but *")
		}
		p.expectOp(")")
		switch {
		case p.isKwIn("filter", "over"):
			p.unsupported("count(*) " + strings.ToUpper(p.tok.text))
		case p.isOp(","):
			p.unsupported("count(*) with other output columns")
		}
		p.noOperatorAfter("an output column that is not a column name")
		return Projection{Count: true}
	}
	var cols []string
	for {
		switch {
		case p.tok.kind == tokIdent && p.peekOp("("):
			p.unsupported("a function call in the output columns")
		case p.tok.kind == tokInt, p.tok.kind == tokString, p.tok.kind == tokParam, p.isOp("("), p.isOp("-"),
			p.isKwIn("null", "true", "false", "case", "cast", "not", "exists", "array", "row"):
			p.unsupported("an output column that is not a column name")
		case p.isOp("*"):
			p.unsupported("* with other output columns")
		}
		cols = append(cols, p.name("*, count(*) or a column name"))
		p.noQualifier()
		p.noOperatorAfter("an output column that is not a column name")
		if p.isKw("as") || p.tok.kind == tokIdent && (p.tok.kw == kwNone || p.tok.kw == kwColName) {
			p.unsupported("an output column alias")
		}
		if !p.acceptOp(",") {
			return Projection{Cols: cols}
		}
	}
}

// returning reads the list after RETURNING: *, T.*, and expressions, each
// with an optional [as] name. A list of only * or only bare column names
// is returned as Star or Cols, as SELECT's; anything else as Items.
// count(*) is read as in SELECT, so that it fails with 42803 as in
// PostgreSQL.
func (p *parser) returning() *Projection {
	if p.isKw("count") && p.peekOp("(") {
		r := p.projection()
		return &r
	}
	var items []OutputItem
	for {
		items = append(items, p.outputItem())
		if !p.acceptOp(",") {
			break
		}
	}
	if len(items) == 1 && items[0].Star && items[0].Table == "" {
		return &Projection{Star: true}
	}
	cols := make([]string, 0, len(items))
	for _, it := range items {
		if it.Star || it.Name != "" || it.Expr.Op != OpColumn || it.Expr.Table != "" {
			return &Projection{Items: items}
		}
		cols = append(cols, it.Expr.Col)
	}
	return &Projection{Cols: cols}
}

// outputItem reads one entry of a RETURNING list.
func (p *parser) outputItem() OutputItem {
	if p.acceptOp("*") {
		return OutputItem{Star: true}
	}
	if p.tok.kind == tokIdent && p.peekOp(".") {
		// T.* or an expression that starts with T.c: look two tokens on.
		save := *p
		t := p.name("a table name")
		p.next()
		if p.acceptOp("*") {
			return OutputItem{Star: true, Table: t}
		}
		*p = save
	}
	it := OutputItem{Expr: p.expr()}
	switch {
	case p.acceptKw("as"):
		it.Name = p.label()
	case p.isName():
		it.Name = p.label()
	}
	return it
}

// label reads an output column's name after AS, where PostgreSQL takes any
// word, keywords included.
func (p *parser) label() string {
	if p.tok.kind != tokIdent {
		p.syntaxError("a column label")
	}
	n := p.tok.text
	p.next()
	return n
}

func (p *parser) selectStmt() Stmt {
	p.next()
	if p.isKwIn("distinct", "all") {
		p.unsupported("SELECT " + strings.ToUpper(p.tok.text))
	}
	if p.atEnd() {
		p.unsupported("SELECT without FROM")
	}
	s := &Select{What: p.projection()}
	if !p.acceptKw("from") {
		switch {
		case p.isKw("into"):
			p.unsupported("SELECT INTO")
		case p.atEnd() && s.What.Star:
			p.fail(CodeSyntaxError, "SELECT * with no tables specified is not valid")
		case p.atEnd(), p.isKwIn("where", "group", "having", "order", "limit", "offset", "union", "for"):
			p.unsupported("SELECT without FROM")
		}
		p.syntaxError(`"from"`)
	}
	if p.isOp("(") || p.isKw("lateral") {
		p.unsupported("a subquery or function in FROM")
	}
	s.Table = p.tableName()
	switch {
	case p.isOp(","):
		p.unsupported("more than one table in FROM")
	case p.isKwIn("join", "inner", "left", "right", "full", "cross", "natural"):
		p.unsupported("a join")
	case p.isOp("("):
		p.unsupported("a function in FROM")
	case p.isKw("tablesample"):
		p.unsupported("TABLESAMPLE")
	}
	p.noAlias()
	where, order := false, false
	if p.acceptKw("where") {
		s.Where = p.whereExpr()
		where = true
	}
	if p.isKwIn("group", "having", "window") {
		p.unsupported(strings.ToUpper(p.tok.text))
	}
	if p.acceptKw("order") {
		p.expectKw("by")
		s.OrderBy = p.orderBy()
		order = true
	}
	// LIMIT and the locking clause, in either order, as PostgreSQL's
	// grammar allows.
	limit, lock := false, false
	for {
		switch {
		case p.isKw("limit"):
			if limit {
				p.fail(CodeSyntaxError, "multiple LIMIT clauses not allowed")
			}
			limit = true
			p.next()
			if !p.acceptKw("all") {
				e := p.expr()
				s.Limit = &e
			}
			if p.isOp(",") {
				p.unsupported("LIMIT #,#")
			}
			continue
		case p.isKw("for"):
			if lock {
				p.unsupported("more than one locking clause")
			}
			lock = true
			p.next()
			p.lockingClause(s)
			continue
		case p.isKwIn("offset", "fetch", "union", "intersect", "except"):
			p.unsupported(strings.ToUpper(p.tok.text))
		}
		break
	}
	var more []string
	if !where && !order && !limit && !lock {
		more = append(more, `"where"`)
	}
	if !order && !limit && !lock {
		more = append(more, `"order by"`)
	}
	if order && !limit && !lock {
		more = append(more, `","`)
	}
	if !limit {
		more = append(more, `"limit"`)
	}
	if !lock {
		more = append(more, `"for update"`)
	}
	p.end(strings.Join(more, ", "))
	if s.What.Count {
		switch {
		case s.Lock != 0:
			p.fail(codeFeatureNotSupported, s.Lock.String()+" is not allowed with aggregate functions")
		case order, limit:
			p.fail(codeFeatureNotSupported, "ORDER BY or LIMIT with count(*)"+notSupported)
		}
	}
	return s
}

// lockingClause reads what follows FOR in a SELECT.
func (p *parser) lockingClause(s *Select) {
	switch {
	case p.acceptKw("update"):
		s.Lock = ForUpdate
	case p.acceptKw("share"):
		s.Lock = ForShare
	case p.acceptKw("no"):
		p.expectKw("key")
		p.expectKw("update")
		s.Lock = ForNoKeyUpdate
	case p.acceptKw("key"):
		p.expectKw("share")
		s.Lock = ForKeyShare
	case p.isKw("read"):
		p.unsupported("FOR READ ONLY")
	default:
		p.syntaxError(`"update", "no key update", "share" or "key share"`)
	}
	switch {
	case p.acceptKw("nowait"):
		s.Wait = NoWait
	case p.acceptKw("skip"):
		p.expectKw("locked")
		s.Wait = SkipLocked
	case p.isKw("of"):
		p.unsupported(s.Lock.String() + " OF")
	}
}

// orderBy reads the keys of ORDER BY.
func (p *parser) orderBy() []OrderItem {
	var items []OrderItem
	for {
		if !p.isName() || p.peekOp("(") || p.peekOp(".") {
			if p.tok.kind == tokIdent && p.tok.kw != kwReserved && p.tok.kw != kwTypeFunc || p.tok.kind == tokInt ||
				p.tok.kind == tokString || p.tok.kind == tokParam || p.isOp("(") || p.isOp("-") {
				p.unsupported("ORDER BY anything but a column name")
			}
			p.syntaxError("a column name")
		}
		it := OrderItem{Col: p.name("a column name")}
		switch {
		case p.acceptKw("asc"):
		case p.acceptKw("desc"):
			it.Desc = true
		case p.isKw("using"):
			p.unsupported("ORDER BY ... USING")
		}
		it.NullsFirst = it.Desc
		if p.acceptKw("nulls") {
			switch {
			case p.acceptKw("first"):
				it.NullsFirst = true
			case p.acceptKw("last"):
				it.NullsFirst = false
			default:
				p.syntaxError(`"first" or "last"`)
			}
		}
		p.noOperatorAfter("ORDER BY anything but a column name")
		items = append(items, it)
		if !p.acceptOp(",") {
			return items
		}
	}
}

func (p *parser) update() Stmt {
	p.next()
	s := &Update{Table: p.tableName()}
	// PostgreSQL reads "update t set" with set as the keyword, not an alias.
	if p.isKw("as") || p.isName() && !p.isKw("set") && p.peekKw("set") {
		p.unsupported("a table alias")
	}
	p.expectKw("set")
	s.Set = p.setList()
	if p.isKw("from") {
		p.unsupported("UPDATE ... FROM")
	}
	s.Where, s.Returning = p.whereReturning(`",", "where", "returning"`)
	if d, ok := duplicate(len(s.Set), func(i int) string { return s.Set[i].Col }); ok {
		p.fail(CodeSyntaxError, "multiple assignments to same column "+quote(d))
	}
	if s.Returning != nil && s.Returning.Count {
		p.fail(codeGroupingError, "aggregate functions are not allowed in RETURNING")
	}
	return s
}

func (p *parser) delete() Stmt {
	p.next()
	p.expectKw("from")
	s := &Delete{Table: p.tableName()}
	p.noAlias()
	if p.isKw("using") {
		p.unsupported("DELETE ... USING")
	}
	s.Where, s.Returning = p.whereReturning(`"where", "returning"`)
	if s.Returning != nil && s.Returning.Count {
		p.fail(codeGroupingError, "aggregate functions are not allowed in RETURNING")
	}
	return s
}

// whereReturning reads the optional WHERE and RETURNING that end an UPDATE
// or DELETE, then the end of the text; expected names what could still
// have come after the part before them.
func (p *parser) whereReturning(expected string) (*Expr, *Projection) {
	var where *Expr
	if p.acceptKw("where") {
		where = p.whereExpr()
		expected = `"returning"`
	}
	var ret *Projection
	if p.acceptKw("returning") {
		ret = p.returning()
		expected = ""
	}
	p.end(expected)
	return where, ret
}

// whereExpr reads the condition after WHERE.
func (p *parser) whereExpr() *Expr {
	if p.isKw("current") && p.peekKw("of") {
		p.unsupported("WHERE CURRENT OF")
	}
	e := p.expr()
	return &e
}

// duplicate returns the first of the n names name(0), ... that repeats an
// earlier one.
func duplicate(n int, name func(int) string) (string, bool) {
	if n <= 16 {
		for i := 1; i < n; i++ {
			for j := 0; j < i; j++ {
				if name(i) == name(j) {
					return name(i), true
				}
			}
		}
		return "", false
	}
	seen := make(map[string]bool, n)
	for i := 0; i < n; i++ {
		if seen[name(i)] {
			return name(i), true
		}
		seen[name(i)] = true
	}
	return "", false
}
