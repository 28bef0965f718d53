// Package sql is the SQL dialect of idemsim's simulated database: a strict
// subset of PostgreSQL's, so that every statement a scenario runs in the
// simulation runs unchanged on a real PostgreSQL. Parse turns text into a
// statement; a Cache parses each distinct text once.
package sql

import (
	"cmp"
	"strconv"
)

// Type is a column type.
type Type uint8

// The column types.
const (
	Int    Type = iota + 1 // int, integer, int4: 32-bit, as in PostgreSQL
	Text                   // text
	BigInt                 // bigint, int8: 64-bit
)

func (t Type) String() string {
	switch t {
	case Int:
		return "int"
	case Text:
		return "text"
	case BigInt:
		return "bigint"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Kind is the kind of a Value.
type Kind uint8

// The kinds of value.
const (
	Null Kind = iota
	IntKind
	TextKind
)

// Value is one SQL value: NULL, an integer or a text.
type Value struct {
	Kind Kind
	Int  int64
	Text string
}

// IntValue and TextValue build values.
func IntValue(n int64) Value       { return Value{Kind: IntKind, Int: n} }
func TextValue(s string) Value     { return Value{Kind: TextKind, Text: s} }
func (v Value) IsNull() bool       { return v.Kind == Null }
func (v Value) Equal(w Value) bool { return v.Kind == w.Kind && v.Int == w.Int && v.Text == w.Text }

// String prints v as PostgreSQL's text output does: integers in decimal,
// text unquoted, NULL as NULL.
func (v Value) String() string {
	switch v.Kind {
	case IntKind:
		return strconv.FormatInt(v.Int, 10)
	case TextKind:
		return v.Text
	}
	return "NULL"
}

// Compare orders values for printing rows: NULL after everything (ASC NULLS
// LAST), integers numerically, text bytewise, integers before text.
func Compare(a, b Value) int {
	switch {
	case a.Kind == b.Kind && a.Kind == IntKind:
		return cmp.Compare(a.Int, b.Int)
	case a.Kind == b.Kind:
		return cmp.Compare(a.Text, b.Text)
	case a.Kind == Null:
		return 1
	case b.Kind == Null:
		return -1
	case a.Kind == IntKind:
		return -1
	}
	return 1
}

// Expr is a literal or a parameter ($1..$n).
type Expr struct {
	Param int   // 1-based parameter number; 0 for a literal
	Value Value // the literal
}

// Level is a transaction isolation level.
type Level uint8

// The isolation levels. ReadUncommitted behaves as ReadCommitted, as in
// PostgreSQL; DirtyReads really reads uncommitted data, and Serializable2PL
// is strict two-phase locking. The last two are not PostgreSQL syntax: they
// are chosen by the simulation, never written in a statement.
const (
	ReadCommitted Level = iota + 1
	ReadUncommitted
	RepeatableRead
	Serializable
	DirtyReads
	Serializable2PL
)

var levelNames = [...]string{
	ReadCommitted:   "read committed",
	ReadUncommitted: "read uncommitted",
	RepeatableRead:  "repeatable read",
	Serializable:    "serializable",
	DirtyReads:      "dirty-reads",
	Serializable2PL: "serializable-2pl",
}

func (l Level) String() string {
	if int(l) < len(levelNames) && levelNames[l] != "" {
		return levelNames[l]
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// ParseLevel reads a level's name as String prints it.
func ParseLevel(s string) (Level, bool) {
	for i, n := range levelNames {
		if n != "" && n == s {
			return Level(i), true
		}
	}
	return 0, false
}

// Stmt is a parsed statement.
type Stmt interface{ stmt() }

// ColumnDef is one column of CREATE TABLE.
type ColumnDef struct {
	Name       string
	Type       Type
	PrimaryKey bool // implies Unique and NOT NULL
	Unique     bool
	NotNull    bool
}

// CreateTable is `create table T (c int primary key, d text unique, ...)`.
type CreateTable struct {
	Table string
	Cols  []ColumnDef
}

// DropTable is `drop table [if exists] T`.
type DropTable struct {
	Table    string
	IfExists bool
}

// Insert is `insert into T [(cols)] values (...), (...) [on conflict [(col)]
// do nothing] [returning * | cols]`.
type Insert struct {
	Table      string
	Cols       []string // nil: all columns in table order
	Rows       [][]Expr
	OnConflict bool   // on conflict ... do nothing
	Conflict   string // the conflict target column, "" for any unique index
	Returning  *Projection
}

// Projection is what a SELECT or RETURNING yields: all columns, count(*), or
// the named columns.
type Projection struct {
	Star  bool
	Count bool // count(*)
	Cols  []string
}

// PredOp is the operator of a predicate.
type PredOp uint8

// The predicate operators.
const (
	Eq  PredOp = iota + 1 // col = v
	Mod                   // col % N = M
	In                    // col in (v, ...)
)

// Pred is one conjunct of a WHERE clause.
type Pred struct {
	Col    string
	Op     PredOp
	Mod    int64  // Mod: N
	Value  Expr   // Eq: v; Mod: M
	Values []Expr // In
}

// Select is `select * | count(*) | cols from T [where P] [for update
// [nowait]]`.
type Select struct {
	Table     string
	What      Projection
	Where     []Pred // conjunction; empty: every row
	ForUpdate bool
	NoWait    bool
}

// SetClause is one `c = v` or `c = c + n` (or `c - n`) of an UPDATE.
type SetClause struct {
	Col   string
	Value Expr // the new value; for an increment, the amount (negative for -)
	Incr  bool // c = c + Value
}

// Update is `update T set ... [where P]`.
type Update struct {
	Table string
	Set   []SetClause
	Where []Pred
}

// Delete is `delete from T [where P]`.
type Delete struct {
	Table string
	Where []Pred
}

// Begin is `begin [transaction] [isolation level X]` (also `start
// transaction ...`). Level is 0 when not given.
type Begin struct{ Level Level }

// SetTransaction is `set transaction isolation level X`.
type SetTransaction struct{ Level Level }

// Commit is `commit` (or `end`); Rollback is `rollback` (or `abort`).
type (
	Commit   struct{}
	Rollback struct{}
)

func (*CreateTable) stmt()    {}
func (*DropTable) stmt()      {}
func (*Insert) stmt()         {}
func (*Select) stmt()         {}
func (*Update) stmt()         {}
func (*Delete) stmt()         {}
func (*Begin) stmt()          {}
func (*SetTransaction) stmt() {}
func (*Commit) stmt()         {}
func (*Rollback) stmt()       {}

// SQLSTATE codes the database reports, as PostgreSQL does.
const (
	CodeSerializationFailure     = "40001"
	CodeDeadlockDetected         = "40P01"
	CodeUniqueViolation          = "23505"
	CodeNotNullViolation         = "23502"
	CodeInFailedTransaction      = "25P02"
	CodeUndefinedTable           = "42P01"
	CodeUndefinedColumn          = "42703"
	CodeDuplicateTable           = "42P07"
	CodeSyntaxError              = "42601"
	CodeDatatypeMismatch         = "42804"
	CodeInvalidText              = "22P02" // invalid input syntax for a type
	CodeLockNotAvailable         = "55P03"
	CodeQueryCanceled            = "57014" // statement_timeout
	CodeUndefinedParameter       = "42P02"
	CodeConnectionFailure        = "08006"
	CodeNoActiveTransaction      = "25P01" // warning in PostgreSQL; not raised here
	CodeActiveTransaction        = "25001" // warning in PostgreSQL; not raised here
	CodeInvalidCursorState       = "24000"
	CodeNumericOutOfRange        = "22003"
	CodeFeatureNotSupported      = "0A000"
	CodeInvalidTableDef          = "42P16" // multiple primary keys
	CodeDuplicateColumn          = "42701"
	CodeGroupingError            = "42803"
	CodeUndefinedFunction        = "42883" // e.g. operator does not exist: text = integer
	CodeDivisionByZero           = "22012"
	CodeInvalidOnConflict        = "42P10"
	CodeProtocolViolation        = "08P01"
	CodeCharacterNotInRepertoire = "22021"
)

// Error is a database error with its SQLSTATE.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return "ERROR " + e.Code + ": " + e.Msg }
