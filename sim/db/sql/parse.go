package sql

import (
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
//	create table T (COLUMN | CONSTRAINT, ...)
//	    COLUMN: c TYPE [primary key | unique | not null | default D
//	            | generated {always | by default} as identity] ...
//	    CONSTRAINT: primary key (c, ...) | unique (c, ...)
//	    TYPE: int | integer | int4 | bigint | int8 | text | boolean | bool
//	        | timestamptz | timestamp with time zone | interval
//	        | serial | serial4 | bigserial | serial8
//	    D: a literal or now()
//	drop table [if exists] T
//	insert into T [as A] [(c, ...)] values (E | default, ...), ...
//	    [on conflict [(c, ...) | on constraint name] do nothing
//	     | on conflict {(c, ...) | on constraint name}
//	       do update set c = E, ... [where E]]
//	    [returning R]
//	select * | count(*) | c, ... from T [where E]
//	    [order by c [asc | desc] [nulls first | last], ...]
//	    [limit E | all] [for update | for no key update | for share
//	    | for key share [nowait | skip locked]]   (these two in either order)
//	update T set c = E, ... [where E] [returning R]
//	delete from T [where E] [returning R]
//	begin [transaction | work] [isolation level L]
//	start transaction [isolation level L]
//	set transaction isolation level L
//	commit | end [transaction | work]
//	rollback | abort [transaction | work]
//	    L: read uncommitted | read committed | repeatable read | serializable
//	    R: an output list of *, T.* and E [[as] name], comma-separated
//	E: an expression of
//	    literals: 42, -5, 'text', true, false, null, timestamptz '...',
//	        timestamp with time zone '...', interval '...', boolean '...'
//	    $n, c, T.c (T the table, or the alias A that replaces its name),
//	        excluded.c (in ON CONFLICT DO UPDATE's SET and WHERE), now(),
//	        current_timestamp, (E)
//	    - E, E + E, E - E, E % E
//	    E = E, E <> E, E != E, E < E, E <= E, E > E, E >= E,
//	        E [not] in (E, ...), E is [not] null
//	    not E, E and E, E or E
//	  with PostgreSQL's precedence (or, and, not, is, comparison, in, + -,
//	  %, unary -); a comparison does not chain (a = b = c is 42601).
//
// Column constraints may come in any order. A minus sign before an integer
// literal is folded into it, as PostgreSQL's grammar does. Types are checked
// when the statement runs against its table (package db), as PostgreSQL
// checks them when it analyzes one. The statement types are those of
// ast.go; Cols, Rows and Set hold what the text says in its order, and are
// nil where the text has none.
//
// The error is always an *Error. Its code is PostgreSQL's for the same text
// where PostgreSQL refuses it too: 42601 (syntax error: the message names
// the token found, as PostgreSQL's does, and what was expected), 42P16 (two
// primary keys), 42701 (a column named twice), 42703 (a key column that
// does not exist), 42803 (count(*) in RETURNING), 22023 (an identity column
// that is not an integer), 22003 (an integer out of the range of bigint),
// 22007, 22008 and 22015 (a timestamptz or interval literal PostgreSQL
// refuses), 22021 (a text that is not UTF-8, or has a NUL byte), 54001
// (an expression nested deeper than MaxExprDepth, where PostgreSQL's
// limit is its max_stack_depth). Where PostgreSQL would accept the text
// and this dialect does not, the code is 0A000 (feature not supported). The text is read left to right and the
// first problem found is reported, so a text with both an unsupported
// construct and a syntax error after it is reported as unsupported. The
// checks PostgreSQL makes after parsing (42P16, 42701, 42703, 42803, 22023,
// and the 42601 of VALUES lists of different lengths, of INSERT with more
// or fewer values than columns, of two assignments to one column, and of
// conflicting column options) are made once the whole text has parsed, and
// a literal's own error (22003, 22007, 22008, 22015) is reported after
// them. $0 is refused with 42601 (PostgreSQL says 42P02 when it binds
// parameters).
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
	if p.late != nil {
		return nil, p.late
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

	// late is the first error found in a literal: an integer out of the
	// range of bigint, or a timestamptz or interval PostgreSQL refuses. It
	// is reported once the whole text has parsed: PostgreSQL reads such a
	// literal as a constant, and fails only when it analyzes it.
	late *Error

	nest  int // how many nested expressions the parser is inside of (descend)
	depth int // the tree depth of the expression just read (setDepth)
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

// noOperatorAfter refuses, as what, an expression that goes on where this
// dialect takes only a name or a literal. NOT NULL after a DEFAULT is a
// constraint, not an operator.
func (p *parser) noOperatorAfter(what string) {
	if p.atOperator() && !(p.isKw("not") && (p.peekKw("null") || p.peekKw("deferrable"))) {
		p.unsupported(what)
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
