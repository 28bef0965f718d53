package sql

import (
	"math"
	"strings"
	"unicode/utf8"
)

// SQLSTATE codes the parser reports, under short names.
const (
	codeFeatureNotSupported      = CodeFeatureNotSupported      // PostgreSQL accepts it; this dialect does not
	codeInvalidTableDef          = CodeInvalidTableDef          // multiple primary keys
	codeDuplicateColumn          = CodeDuplicateColumn          // a column named twice
	codeGroupingError            = CodeGroupingError            // an aggregate where none is allowed
	codeCharacterNotInRepertoire = CodeCharacterNotInRepertoire // invalid UTF-8, or a NUL byte
)

// notSupported ends every 0A000 message.
const notSupported = " is not supported by idemsim's SQL subset"

// Parse reads one statement of idemsim's dialect of SQL, a strict subset of
// PostgreSQL's: every text Parse accepts is valid PostgreSQL and means the
// same there. The grammar (keywords in any case; names [a-z_][a-z0-9_]*,
// folded to lower case, truncated to 63 bytes, and not a PostgreSQL keyword
// other than an unreserved one; -- comments; one optional trailing ;):
//
//	create table T (c TYPE [primary key] [unique] [not null], ...)
//	    TYPE: int | integer | int4 (Int) | bigint | int8 (BigInt) | text (Text)
//	drop table [if exists] T
//	insert into T [(c, ...)] values (e, ...), ... [on conflict [(c)] do nothing]
//	    [returning * | c, ...]
//	select * | count(*) | c, ... from T [where P] [for update [nowait]]
//	update T set c = e | c = c + e | c = c - N, ... [where P]
//	delete from T [where P]
//	begin [transaction | work] [isolation level L]
//	start transaction [isolation level L]
//	set transaction isolation level L
//	commit | end [transaction | work]
//	rollback | abort [transaction | work]
//	    L: read uncommitted | read committed | repeatable read | serializable
//	P: a conjunction (and) of c = e, c % N = e, c in (e, ...)
//	e: an integer (-5), a string ('it''s'), null, or $n; N: a positive integer
//
// Column constraints may come in any order. For c = c - N the amount is stored
// negated (SetClause.Value is -N), and c - $n is refused, as Expr cannot
// negate a parameter: write c = c + $n. The statement types are those of
// ast.go; Cols, Rows, Where and Set hold what the text says in its order,
// and are nil where the text has none.
//
// The error is always an *Error. Its code is PostgreSQL's for the same text
// where PostgreSQL refuses it too: 42601 (syntax error: the message names
// the token found, as PostgreSQL's does, and what was expected), 42P16 (two
// primary keys), 42701 (a column named twice), 42803 (count(*) in
// RETURNING), 22003 (an integer out of the range of bigint), 22021 (a text
// that is not UTF-8, or has a NUL byte). Where PostgreSQL would accept the
// text and this dialect does not, the code is 0A000 (feature not supported).
// The text is read left to right and the first problem found is reported,
// so a text with both an unsupported construct and a syntax error after it
// is reported as unsupported. The checks PostgreSQL makes after parsing
// (42P16, 42701, 42803, and the 42601 of VALUES lists of different lengths,
// of INSERT with more or fewer values than columns, and of two assignments
// to one column) are made once the whole text has parsed, and an integer
// out of range (22003) is reported after them. $0 is refused with 42601
// (PostgreSQL says 42P02 when it binds parameters).
//
// The statement returned is shared by whoever parsed the same text through a
// Cache: it is immutable, and callers must not modify it or anything it
// points to. Parse never panics.
func Parse(text string) (s Stmt, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			s, err = nil, b.err
		}
	}()
	if !utf8.ValidString(text) {
		return nil, &Error{Code: codeCharacterNotInRepertoire, Msg: `invalid byte sequence for encoding "UTF8"`}
	}
	if strings.IndexByte(text, 0) >= 0 {
		return nil, &Error{Code: codeCharacterNotInRepertoire, Msg: `invalid byte sequence for encoding "UTF8": 0x00`}
	}
	p := parser{src: text}
	p.next()
	s = p.statement()
	if p.outOfRange != nil {
		return nil, p.outOfRange
	}
	return s, nil
}

// bailout carries a parse error up through panic to Parse.
type bailout struct{ err *Error }

// parser is a recursive-descent parser with one token of lookahead (and a
// second, by peek, where PostgreSQL's grammar needs it).
type parser struct {
	src string
	pos int   // where the lexer resumes: just past tok
	tok token // the current token

	// outOfRange is the first integer found out of the range of bigint. It
	// is reported once the whole text has parsed: PostgreSQL reads such an
	// integer as a numeric constant, and fails only when it uses it.
	outOfRange *Error
}

func (p *parser) next() { p.tok = p.lex() }

// peek returns the token after the current one without moving.
func (p *parser) peek() token {
	pos, tok := p.pos, p.tok
	t := p.lex()
	p.pos, p.tok = pos, tok
	return t
}

func (p *parser) isKw(w string) bool   { return p.tok.kind == tokIdent && p.tok.text == w }
func (p *parser) isOp(op string) bool  { return p.tok.kind == tokOp && p.tok.text == op }
func (p *parser) peekKw(w string) bool { t := p.peek(); return t.kind == tokIdent && t.text == w }
func (p *parser) peekOp(op string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == op
}
func (p *parser) atEnd() bool { return p.tok.kind == tokEOF || p.isOp(";") }

// isKwIn says whether the current token is one of the keywords ws.
func (p *parser) isKwIn(ws ...string) bool {
	if p.tok.kind != tokIdent {
		return false
	}
	for _, w := range ws {
		if p.tok.text == w {
			return true
		}
	}
	return false
}

func (p *parser) acceptKw(w string) bool {
	if p.isKw(w) {
		p.next()
		return true
	}
	return false
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectKw(w string) {
	if !p.acceptKw(w) {
		p.syntaxError(quote(w))
	}
}

func (p *parser) expectOp(op string) {
	if !p.acceptOp(op) {
		p.syntaxError(quote(op))
	}
}

// fail stops the parse with an error.
func (p *parser) fail(code, msg string) {
	panic(bailout{&Error{Code: code, Msg: msg}})
}

// near names the current token as PostgreSQL's messages do.
func (p *parser) near() string {
	if p.tok.kind == tokEOF {
		return "at end of input"
	}
	return "at or near " + quote(p.tok.raw)
}

// syntaxError stops the parse with 42601 at the current token.
func (p *parser) syntaxError(expected string) {
	msg := "syntax error " + p.near()
	if expected != "" {
		msg += ": expected " + expected
	}
	p.fail(CodeSyntaxError, msg)
}

// unsupported stops the parse with 0A000 at the current token: what is a
// construct PostgreSQL accepts here.
func (p *parser) unsupported(what string) { p.unsupportedHint(what, "") }

// unsupportedHint is unsupported with a hint at what to write instead.
func (p *parser) unsupportedHint(what, hint string) {
	msg := what + notSupported + " (" + p.near() + ")"
	if hint != "" {
		msg += "; " + hint
	}
	p.fail(codeFeatureNotSupported, msg)
}

// end ends a statement: an optional ; and then nothing. more lists what
// else the statement could have gone on with, for the message.
func (p *parser) end(more string) {
	if p.acceptOp(";") {
		if p.tok.kind != tokEOF {
			p.unsupported("more than one statement in a text")
		}
		return
	}
	if p.tok.kind == tokEOF {
		return
	}
	if more != "" {
		more += ", "
	}
	p.syntaxError(more + `";" or end of input`)
}

// name reads a table or column name.
func (p *parser) name(what string) string {
	if p.tok.kind != tokIdent {
		p.syntaxError(what)
	}
	switch p.tok.kw {
	case kwReserved, kwTypeFunc:
		p.syntaxError(what + " (" + quote(p.tok.text) + " is a reserved keyword)")
	case kwColName:
		p.unsupported("the keyword " + quote(p.tok.text) + " as a name")
	}
	n := p.tok.text
	p.next()
	return n
}

// isName says whether the current token could be read by name.
func (p *parser) isName() bool { return p.tok.kind == tokIdent && p.tok.kw == kwNone }

// noQualifier refuses a . after a name: PostgreSQL reads schema.table,
// table.column and record.field there.
func (p *parser) noQualifier() {
	if p.isOp(".") {
		p.unsupported("a qualified name")
	}
}

// atOperator says whether the current token would continue an expression in
// PostgreSQL: an operator, a cast, a subscript, or a keyword operator.
func (p *parser) atOperator() bool {
	switch p.tok.kind {
	case tokOp:
		t := p.tok.text
		return isOpChar(t[0]) || t == "::" || t == "["
	case tokIdent:
		switch p.tok.text {
		case "and", "or", "is", "not", "like", "ilike", "similar", "between", "in",
			"collate", "at", "isnull", "notnull", "overlaps":
			return true
		}
	}
	return false
}

// noOperator refuses an expression that goes on past a literal or parameter.
func (p *parser) noOperator() {
	if p.atOperator() {
		p.unsupported("an expression other than a literal or $n parameter")
	}
}

// statement reads one statement and the end of the text.
func (p *parser) statement() Stmt {
	switch {
	case p.tok.kind == tokIdent:
		switch p.tok.text {
		case "create":
			return p.createTable()
		case "drop":
			return p.dropTable()
		case "insert":
			return p.insert()
		case "select":
			return p.selectStmt()
		case "update":
			return p.update()
		case "delete":
			return p.delete()
		case "begin":
			p.next()
			p.optTransaction()
			s := &Begin{Level: p.transactionModes(false)}
			p.end(`"isolation level"`)
			return s
		case "start":
			p.next()
			p.expectKw("transaction")
			s := &Begin{Level: p.transactionModes(false)}
			p.end(`"isolation level"`)
			return s
		case "set":
			p.next()
			if p.tok.kind == tokEOF {
				p.syntaxError(`"transaction"`)
			}
			if !p.acceptKw("transaction") {
				p.unsupported("SET other than SET TRANSACTION")
			}
			s := &SetTransaction{Level: p.transactionModes(true)}
			p.end("")
			return s
		case "commit", "end":
			commit := p.tok.text == "commit"
			p.next()
			if commit && p.isKw("prepared") {
				p.unsupported("COMMIT PREPARED")
			}
			more := `"transaction", "work"`
			if p.optTransaction() {
				more = ""
			}
			p.noChain()
			p.end(more)
			return &Commit{}
		case "rollback", "abort":
			rollback := p.tok.text == "rollback"
			p.next()
			if rollback && p.isKw("prepared") {
				p.unsupported("ROLLBACK PREPARED")
			}
			more := `"transaction", "work"`
			if p.optTransaction() {
				more = ""
			}
			if p.isKw("to") {
				p.unsupported("ROLLBACK TO SAVEPOINT")
			}
			p.noChain()
			p.end(more)
			return &Rollback{}
		}
		if otherStatements[p.tok.text] {
			p.unsupported("the " + strings.ToUpper(p.tok.text) + " statement")
		}
	case p.atEnd():
		p.unsupported("an empty statement")
	case p.isOp("("):
		p.unsupported("a parenthesized statement")
	}
	p.syntaxError("a statement (create, drop, insert, select, update, delete, begin, start, set, commit, end, rollback, abort)")
	return nil
}

// otherStatements are the first words of PostgreSQL statements that this
// dialect does not have.
var otherStatements = map[string]bool{
	"alter": true, "analyse": true, "analyze": true, "call": true, "checkpoint": true,
	"close": true, "cluster": true, "comment": true, "copy": true, "deallocate": true,
	"declare": true, "discard": true, "do": true, "execute": true, "explain": true,
	"fetch": true, "grant": true, "import": true, "listen": true, "load": true,
	"lock": true, "merge": true, "move": true, "notify": true, "prepare": true,
	"reassign": true, "refresh": true, "reindex": true, "release": true, "reset": true,
	"revoke": true, "savepoint": true, "security": true, "show": true, "table": true,
	"truncate": true, "unlisten": true, "vacuum": true, "values": true, "with": true,
}

// otherObjects are what PostgreSQL can create or drop besides a table.
var otherObjects = map[string]bool{
	"access": true, "aggregate": true, "cast": true, "collation": true, "conversion": true,
	"database": true, "default": true, "domain": true, "event": true, "extension": true,
	"foreign": true, "function": true, "global": true, "group": true, "index": true,
	"language": true, "local": true, "materialized": true, "operator": true, "or": true,
	"owned": true, "policy": true, "procedure": true, "publication": true, "recursive": true,
	"role": true, "routine": true, "rule": true, "schema": true, "sequence": true,
	"server": true, "statistics": true, "subscription": true, "tablespace": true,
	"temp": true, "temporary": true, "text": true, "transform": true, "trigger": true,
	"type": true, "unique": true, "unlogged": true, "user": true, "view": true,
}

// optTransaction reads an optional TRANSACTION or WORK, and says whether
// there was one.
func (p *parser) optTransaction() bool {
	if p.isKw("transaction") || p.isKw("work") {
		p.next()
		return true
	}
	return false
}

func (p *parser) noChain() {
	if p.isKw("and") {
		p.unsupported("AND [NO] CHAIN")
	}
}

// transactionModes reads PostgreSQL's transaction_mode_list, of which only
// isolation levels are supported. required: the list may not be empty.
func (p *parser) transactionModes(required bool) Level {
	var level Level
	need := required
	for {
		switch {
		case p.isKw("isolation"):
			if level != 0 {
				p.unsupported("a second isolation level")
			}
			p.next()
			p.expectKw("level")
			level = p.level()
		case p.isKw("read") && (p.peekKw("only") || p.peekKw("write")):
			p.unsupported("READ ONLY and READ WRITE")
		case p.isKw("deferrable") || p.isKw("not") && p.peekKw("deferrable"):
			p.unsupported("DEFERRABLE")
		case p.isKw("snapshot"):
			p.unsupported("SET TRANSACTION SNAPSHOT")
		default:
			if need {
				p.syntaxError(`"isolation level"`)
			}
			return level
		}
		need = p.acceptOp(",")
	}
}

// level reads an isolation level's name.
func (p *parser) level() Level {
	switch {
	case p.acceptKw("read"):
		if p.acceptKw("committed") {
			return ReadCommitted
		}
		if p.acceptKw("uncommitted") {
			return ReadUncommitted
		}
		p.syntaxError(`"committed" or "uncommitted"`)
	case p.acceptKw("repeatable"):
		p.expectKw("read")
		return RepeatableRead
	case p.acceptKw("serializable"):
		return Serializable
	}
	p.syntaxError(`"read committed", "read uncommitted", "repeatable read" or "serializable"`)
	return 0
}

// tableName reads the name of the table a statement works on.
func (p *parser) tableName() string {
	if p.isKw("only") {
		p.unsupported("ONLY")
	}
	n := p.name("a table name")
	p.noQualifier()
	return n
}

// noAlias refuses a table alias: [as] name, where name is not a reserved
// keyword (those are what may follow the table).
func (p *parser) noAlias() {
	if p.isKw("as") || p.tok.kind == tokIdent && p.tok.kw != kwReserved && p.tok.kw != kwTypeFunc {
		p.unsupported("a table alias")
	}
}

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
	for {
		if p.isKwIn("primary", "unique", "constraint", "check", "foreign", "like") {
			p.unsupported("a table constraint")
		}
		col := ColumnDef{Name: p.name("a column name")}
		col.Type = p.typeName()
		pks += p.columnConstraints(&col)
		s.Cols = append(s.Cols, col)
		if p.acceptOp(",") {
			continue
		}
		if p.acceptOp(")") {
			break
		}
		p.syntaxError(`"primary key", "unique", "not null", "," or ")"`)
	}
	if p.isKwIn("inherits", "partition", "using", "with", "without", "on", "tablespace") {
		p.unsupported("CREATE TABLE ... " + strings.ToUpper(p.tok.text))
	}
	p.end("")
	if pks > 1 {
		p.fail(codeInvalidTableDef, "multiple primary keys for table "+quote(s.Table)+" are not allowed")
	}
	if d, ok := duplicate(len(s.Cols), func(i int) string { return s.Cols[i].Name }); ok {
		p.fail(codeDuplicateColumn, "column "+quote(d)+" specified more than once")
	}
	return s
}

// typeName reads a column type.
func (p *parser) typeName() Type {
	if p.tok.kind != tokIdent || p.tok.kw == kwReserved {
		p.syntaxError("a type name")
	}
	var t Type
	switch p.tok.text {
	case "int", "integer", "int4":
		t = Int
	case "bigint", "int8":
		t = BigInt
	case "text":
		t = Text
	default:
		p.unsupportedHint("the type "+quote(p.tok.text), "the types are int, integer, bigint, int4, int8 and text")
	}
	p.next()
	switch {
	case p.isOp("["), p.isKw("array"):
		p.unsupported("an array type")
	case p.isOp("."):
		p.unsupported("a qualified type name")
	}
	return t
}

// columnConstraints reads a column's constraints and returns how many
// primary keys they declare.
func (p *parser) columnConstraints(col *ColumnDef) int {
	pks := 0
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
		case p.isKwIn("default", "check", "references", "constraint", "generated", "collate", "compression", "storage"):
			p.unsupported("the column option " + strings.ToUpper(p.tok.text))
		default:
			return pks
		}
	}
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
	if p.isKw("as") {
		p.unsupported("a table alias")
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
			if p.isKw("default") {
				p.unsupported("DEFAULT")
			}
			row = append(row, p.value())
			if p.acceptOp(",") {
				continue
			}
			if p.acceptOp(")") {
				break
			}
			p.noOperator()
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
		if p.acceptOp("(") {
			if p.isOp("(") || p.tok.kind == tokIdent && p.peekOp("(") {
				p.unsupported("a conflict target other than one column")
			}
			s.Conflict = p.name("a column name")
			if p.isOp(",") || p.isOp(".") || p.atOperator() || p.isKw("collate") || p.isName() {
				p.unsupported("a conflict target other than one column")
			}
			p.expectOp(")")
			if p.isKw("where") {
				p.unsupported("a conflict target with WHERE")
			}
		} else if p.isKw("on") {
			p.unsupported("ON CONFLICT ON CONSTRAINT")
		}
		p.expectKw("do")
		if p.isKw("update") {
			p.unsupported("ON CONFLICT DO UPDATE")
		}
		p.expectKw("nothing")
		s.OnConflict = true
		more = `"returning"`
	}
	if p.acceptKw("returning") {
		r := p.projection()
		s.Returning = &r
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
	if s.Returning != nil && s.Returning.Count {
		p.fail(codeGroupingError, "aggregate functions are not allowed in RETURNING")
	}
	return s
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
		p.noOperator()
		return Projection{Count: true}
	}
	var cols []string
	for {
		switch {
		case p.tok.kind == tokIdent && p.peekOp("("):
			p.unsupported("a function call")
		case p.tok.kind == tokInt, p.tok.kind == tokString, p.tok.kind == tokParam, p.isOp("("), p.isOp("-"),
			p.isKwIn("null", "true", "false", "case", "cast", "not", "exists", "array", "row"):
			p.unsupported("an output column that is not a column name")
		case p.isOp("*"):
			p.unsupported("* with other output columns")
		}
		cols = append(cols, p.name("*, count(*) or a column name"))
		p.noQualifier()
		p.noOperator()
		if p.isKw("as") || p.tok.kind == tokIdent && (p.tok.kw == kwNone || p.tok.kw == kwColName) {
			p.unsupported("an output column alias")
		}
		if !p.acceptOp(",") {
			return Projection{Cols: cols}
		}
	}
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
	s.Where = p.where()
	more := `"where", "for update"`
	if s.Where != nil {
		more = `"and", "for update"`
	}
	if p.acceptKw("for") {
		if p.isKwIn("share", "no", "key") {
			p.unsupported("a locking clause other than FOR UPDATE")
		}
		p.expectKw("update")
		s.ForUpdate = true
		more = `"nowait"`
		switch {
		case p.acceptKw("nowait"):
			s.NoWait = true
			more = ""
		case p.isKw("skip"):
			p.unsupported("SKIP LOCKED")
		case p.isKw("of"):
			p.unsupported("FOR UPDATE OF")
		}
		if p.isKw("for") {
			p.unsupported("more than one locking clause")
		}
	}
	if p.isKwIn("group", "having", "window", "order", "limit", "offset", "fetch", "union", "intersect", "except") {
		p.unsupported(strings.ToUpper(p.tok.text))
	}
	p.end(more)
	if s.What.Count && s.ForUpdate {
		p.fail(codeFeatureNotSupported, "FOR UPDATE is not allowed with aggregate functions")
	}
	return s
}

func (p *parser) update() Stmt {
	p.next()
	s := &Update{Table: p.tableName()}
	// PostgreSQL reads "update t set" with set as the keyword, not an alias.
	if p.isKw("as") || p.isName() && !p.isKw("set") && p.peekKw("set") {
		p.unsupported("a table alias")
	}
	p.expectKw("set")
	for {
		if p.isOp("(") {
			p.unsupported("a multiple-column assignment")
		}
		col := p.name("a column name")
		if p.isOp(".") || p.isOp("[") {
			p.unsupported("assignment to a field or element")
		}
		p.expectOp("=")
		s.Set = append(s.Set, p.setValue(col))
		if !p.acceptOp(",") {
			break
		}
	}
	if p.isKw("from") {
		p.unsupported("UPDATE ... FROM")
	}
	s.Where = p.whereToEnd("UPDATE", `",", "where"`)
	if d, ok := duplicate(len(s.Set), func(i int) string { return s.Set[i].Col }); ok {
		p.fail(CodeSyntaxError, "multiple assignments to same column "+quote(d))
	}
	return s
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

// setValue reads what follows "col =" in UPDATE: e, col + e or col - N.
func (p *parser) setValue(col string) SetClause {
	if next := p.peek(); p.isName() && next.kind == tokOp && (next.text == "+" || next.text == "-") {
		if p.tok.text != col {
			p.unsupported("an increment of one column by another (" + col + " = " + p.tok.text + " ...)")
		}
		p.next()
		minus := p.isOp("-")
		p.next()
		switch {
		case minus && p.tok.kind == tokParam:
			p.unsupportedHint("subtracting a parameter", "write "+col+" = "+col+" + $n with the amount negated")
		case p.tok.kind == tokString, p.isKw("null"):
			p.unsupported("an increment by anything but an integer or $n")
		}
		v := p.value()
		switch {
		case minus && v.Value.Int == math.MinInt64:
			p.rangeError("bigint out of range")
		case minus:
			v.Value.Int = -v.Value.Int
		}
		p.noOperator()
		return SetClause{Col: col, Value: v, Incr: true}
	}
	if p.isKw("default") {
		p.unsupported("DEFAULT")
	}
	v := p.value()
	p.noOperator()
	return SetClause{Col: col, Value: v}
}

// whereToEnd reads the optional WHERE that ends an UPDATE or DELETE (verb),
// then the end of the text; without a WHERE, expected names what could
// still have come.
func (p *parser) whereToEnd(verb, expected string) []Pred {
	where := p.where()
	if p.isKw("returning") {
		p.unsupported("RETURNING in " + verb)
	}
	if where != nil {
		p.end(`"and"`)
	} else {
		p.end(expected)
	}
	return where
}

func (p *parser) delete() Stmt {
	p.next()
	p.expectKw("from")
	s := &Delete{Table: p.tableName()}
	p.noAlias()
	if p.isKw("using") {
		p.unsupported("DELETE ... USING")
	}
	s.Where = p.whereToEnd("DELETE", `"where"`)
	return s
}

// where reads an optional WHERE clause: nil when there is none.
func (p *parser) where() []Pred {
	if !p.acceptKw("where") {
		return nil
	}
	if p.isKw("current") && p.peekKw("of") {
		p.unsupported("WHERE CURRENT OF")
	}
	var preds []Pred
	for {
		preds = append(preds, p.pred())
		if p.acceptKw("and") {
			continue
		}
		if p.isKw("or") {
			p.unsupported("OR")
		}
		p.noOperator()
		return preds
	}
}

// pred reads one predicate of a WHERE clause.
func (p *parser) pred() Pred {
	switch {
	case p.isOp("("):
		p.unsupported("a parenthesized condition")
	case p.isKw("not"):
		p.unsupported("NOT")
	case p.tok.kind == tokInt, p.tok.kind == tokString, p.tok.kind == tokParam, p.isOp("-"),
		p.isKwIn("null", "true", "false", "exists", "case", "cast"):
		p.unsupported("a condition that does not start with a column name")
	case p.tok.kind == tokIdent && p.peekOp("("):
		p.unsupported("a function call")
	}
	pr := Pred{Col: p.name("a column name")}
	p.noQualifier()
	switch {
	case p.acceptOp("="):
		pr.Op = Eq
		pr.Value = p.value()
	case p.acceptOp("%"):
		pr.Op = Mod
		if p.tok.kind != tokInt {
			if p.tok.kind == tokParam || p.isOp("-") || p.tok.kind == tokIdent || p.isOp("(") {
				p.unsupported("a modulus other than a positive integer")
			}
			p.syntaxError("a positive integer")
		}
		pr.Mod = p.intLiteral(false)
		if pr.Mod == 0 {
			p.unsupported("a modulus of 0")
		}
		p.next()
		if !p.acceptOp("=") {
			p.noOperator()
			p.syntaxError(`"="`)
		}
		pr.Value = p.value()
	case p.acceptKw("in"):
		pr.Op = In
		p.expectOp("(")
		if p.isKwIn("select", "with", "values") {
			p.unsupported("a subquery")
		}
		for {
			pr.Values = append(pr.Values, p.value())
			if p.acceptOp(",") {
				continue
			}
			if p.acceptOp(")") {
				break
			}
			p.noOperator()
			p.syntaxError(`"," or ")"`)
		}
	case p.isKwIn("not", "is", "like", "ilike", "similar", "between", "isnull", "notnull"):
		p.unsupported(strings.ToUpper(p.tok.text))
	case p.atOperator():
		p.unsupported("the operator " + p.tok.raw)
	default:
		p.syntaxError(`"=", "%" or "in"`)
	}
	return pr
}

// value reads a literal or a parameter.
func (p *parser) value() Expr {
	var e Expr
	switch p.tok.kind {
	case tokInt:
		e.Value = IntValue(p.intLiteral(false))
	case tokString:
		e.Value = TextValue(p.tok.text)
	case tokParam:
		e.Param = p.tok.num
	case tokOp:
		switch p.tok.text {
		case "-":
			p.next()
			switch {
			case p.tok.kind == tokInt:
			case p.tok.kind == tokParam, p.tok.kind == tokString, p.isName(), p.isOp("("), p.isOp("-"), p.isOp("+"),
				p.isKwIn("null", "true", "false", "case", "cast"):
				p.unsupported("a minus sign before anything but an integer")
			default:
				p.syntaxError("an integer")
			}
			e.Value = IntValue(p.intLiteral(true))
		case "+":
			p.unsupported("unary plus")
		case "(":
			p.unsupported("a parenthesized expression or subquery")
		default:
			p.syntaxError("a literal or $n parameter")
		}
	case tokIdent:
		switch {
		case p.isKw("null"):
		case p.isKwIn("true", "false"):
			p.unsupported("a boolean constant")
		case p.isKwIn("case", "cast", "array", "not", "exists", "row", "current_date", "current_time",
			"current_timestamp", "localtime", "localtimestamp", "current_user", "session_user", "user"):
			p.unsupported(strings.ToUpper(p.tok.text))
		case p.tok.kw == kwReserved:
			p.syntaxError("a literal or $n parameter")
		case p.peekOp("("):
			p.unsupported("a function call")
		case p.peek().kind == tokString:
			p.unsupported("a typed constant (type 'value')")
		default:
			p.unsupported("a column reference where a literal or $n parameter is expected")
		}
	default:
		p.syntaxError("a literal or $n parameter")
	}
	p.next()
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
			p.rangeError("value " + quote(sign+p.tok.text) + " is out of range for type bigint")
			return math.MaxInt64 // any value: the statement is not returned
		}
		u = u*10 + d
	}
	if neg {
		return int64(-u) // u <= 1<<63, so -u wraps to the two's complement
	}
	return int64(u)
}

// rangeError records an integer out of range, to be reported if the text
// parses.
func (p *parser) rangeError(msg string) {
	if p.outOfRange == nil {
		p.outOfRange = &Error{Code: CodeNumericOutOfRange, Msg: msg}
	}
}

// Params returns the highest $n the statement uses, 0 if none.
func Params(s Stmt) int {
	n := 0
	see := func(e Expr) {
		if e.Param > n {
			n = e.Param
		}
	}
	seePreds := func(ps []Pred) {
		for _, pr := range ps {
			see(pr.Value)
			for _, e := range pr.Values {
				see(e)
			}
		}
	}
	switch s := s.(type) {
	case *Insert:
		for _, row := range s.Rows {
			for _, e := range row {
				see(e)
			}
		}
	case *Select:
		seePreds(s.Where)
	case *Update:
		for _, c := range s.Set {
			see(c.Value)
		}
		seePreds(s.Where)
	case *Delete:
		seePreds(s.Where)
	}
	return n
}
