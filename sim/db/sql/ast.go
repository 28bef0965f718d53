// Package sql is the SQL dialect of idemsim's simulated database: a strict
// subset of PostgreSQL's, so that every statement a scenario runs in the
// simulation runs unchanged on a real PostgreSQL. Parse turns text into a
// statement; a Cache parses each distinct text once.
package sql

import (
	"strconv"
	"strings"
)

// Type is a column type.
type Type uint8

// The column types. Serial columns are Int or BigInt columns with
// ColumnDef.Serial set.
const (
	Int         Type = iota + 1 // int, integer, int4: 32-bit, as in PostgreSQL
	Text                        // text
	BigInt                      // bigint, int8: 64-bit
	Bool                        // boolean, bool
	Timestamptz                 // timestamptz, timestamp with time zone
	Interval                    // interval, fixed-size units only
)

// String is the type's name as PostgreSQL's messages spell it.
func (t Type) String() string {
	switch t {
	case Int:
		return "integer"
	case Text:
		return "text"
	case BigInt:
		return "bigint"
	case Bool:
		return "boolean"
	case Timestamptz:
		return "timestamp with time zone"
	case Interval:
		return "interval"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Integer reports whether t holds integers (int or bigint).
func (t Type) Integer() bool { return t == Int || t == BigInt }

// Op is the operator of an expression node.
type Op uint8

// The expression operators. Args holds the operands, in the order written.
const (
	OpConst     Op = iota + 1 // a literal: Value (a string literal is a TextValue of type unknown)
	OpParam                   // $Param
	OpColumn                  // [Table.]Col; Table "excluded" names ON CONFLICT's proposed row
	OpNow                     // now() or current_timestamp: the transaction's start
	OpDefault                 // DEFAULT, in VALUES only
	OpNeg                     // -Args[0]
	OpAdd                     // Args[0] + Args[1]
	OpSub                     // Args[0] - Args[1]
	OpMod                     // Args[0] % Args[1]
	OpEq                      // =
	OpNe                      // <> or !=
	OpLt                      // <
	OpLe                      // <=
	OpGt                      // >
	OpGe                      // >=
	OpAnd                     // Args[0] and Args[1]
	OpOr                      // Args[0] or Args[1]
	OpNot                     // not Args[0]
	OpIsNull                  // Args[0] is null
	OpIsNotNull               // Args[0] is not null
	OpIn                      // Args[0] in (Args[1], ...)
	OpNotIn                   // Args[0] not in (Args[1], ...)
)

var opNames = [...]string{
	OpConst: "constant", OpParam: "parameter", OpColumn: "column", OpNow: "now()", OpDefault: "DEFAULT",
	OpNeg: "-", OpAdd: "+", OpSub: "-", OpMod: "%", OpEq: "=", OpNe: "<>", OpLt: "<", OpLe: "<=",
	OpGt: ">", OpGe: ">=", OpAnd: "AND", OpOr: "OR", OpNot: "NOT", OpIsNull: "IS NULL",
	OpIsNotNull: "IS NOT NULL", OpIn: "IN", OpNotIn: "NOT IN",
}

func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Expr is a value expression: a tree of operators over literals,
// parameters, columns and now(). Types are checked when the statement runs
// against its table, as PostgreSQL checks them when it analyzes one.
type Expr struct {
	Op    Op
	Value Value  // OpConst
	Param int    // OpParam: 1-based
	Table string // OpColumn: the qualifier, "" when there is none
	Col   string // OpColumn
	Args  []Expr // operands
}

// Lit, Par and Column build leaf expressions.
func Lit(v Value) Expr            { return Expr{Op: OpConst, Value: v} }
func Par(n int) Expr              { return Expr{Op: OpParam, Param: n} }
func Column(c string) Expr        { return Expr{Op: OpColumn, Col: c} }
func Binary(o Op, a, b Expr) Expr { return Expr{Op: o, Args: []Expr{a, b}} }

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

// String is the level as SQL spells it ("read committed"); the two levels
// of the simulation only are "dirty-reads" and "serializable-2pl".
func (l Level) String() string {
	if int(l) < len(levelNames) && levelNames[l] != "" {
		return levelNames[l]
	}
	return "level(" + strconv.Itoa(int(l)) + ")"
}

// Slug is the level as the command line and file names spell it: String
// with spaces replaced by '-' ("read-committed").
func (l Level) Slug() string { return strings.ReplaceAll(l.String(), " ", "-") }

// PostgreSQL reports whether PostgreSQL has the level (and SQL can name it).
func (l Level) PostgreSQL() bool { return l >= ReadCommitted && l <= Serializable }

// ParseLevel reads a level's name in either spelling: SQL's ("read
// committed") or the command line's ("read-committed"), and "dirty-reads"
// and "serializable-2pl"; case and surrounding spaces do not matter. One
// vocabulary for every flag and file that names a level.
func ParseLevel(s string) (Level, bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	for i, n := range levelNames {
		if n != "" && (n == s || strings.ReplaceAll(n, " ", "-") == s) {
			return Level(i), true
		}
	}
	return 0, false
}

// LevelNames are every level's command-line spelling, in Level order, for
// messages that list what is accepted.
func LevelNames() []string {
	out := make([]string, 0, len(levelNames)-1)
	for i := range levelNames {
		if i > 0 {
			out = append(out, Level(i).Slug())
		}
	}
	return out
}

// Stmt is a parsed statement.
type Stmt interface{ stmt() }

// Identity is how a column is generated as an identity column.
type Identity uint8

// The identity kinds.
const (
	IdentityAlways    Identity = iota + 1 // generated always as identity: explicit values refused (428C9)
	IdentityByDefault                     // generated by default as identity
)

// ColumnDef is one column of CREATE TABLE.
type ColumnDef struct {
	Name       string
	Type       Type
	PrimaryKey bool // implies Unique and NOT NULL
	Unique     bool
	NotNull    bool
	// Serial is set for serial and bigserial (Type Int or BigInt): the
	// column's default is the next value of its own sequence, and it is NOT
	// NULL.
	Serial   bool
	Identity Identity // 0 unless generated ... as identity (implies NOT NULL)
	Default  *Expr    // default <literal | now()>; nil when there is none
}

// CreateTable is `create table T (c TYPE [constraints], ..., [primary key
// (c, ...)], [unique (c, ...)])`.
type CreateTable struct {
	Table string
	Cols  []ColumnDef
	// PrimaryKey and Uniques are the table constraints, in the order
	// written; column constraints stay in Cols.
	PrimaryKey []string
	Uniques    [][]string
}

// DropTable is `drop table [if exists] T`.
type DropTable struct {
	Table    string
	IfExists bool
}

// Insert is `insert into T [as A] [(cols)] values (...), (...) [on conflict
// ...] [returning ...]`. A DEFAULT in VALUES is Expr{Op: OpDefault}.
type Insert struct {
	Table string
	// Alias is the name AS gives the target table; "" when there is none.
	// It hides the table's own name from qualifiers, as in PostgreSQL.
	Alias      string
	Cols       []string // nil: all columns in table order
	Rows       [][]Expr
	OnConflict *OnConflict // nil without ON CONFLICT
	Returning  *Projection
}

// OnConflict is `on conflict [(c, ...) | on constraint name] do nothing` or
// `on conflict {(c, ...) | on constraint name} do update set c = e, ...
// [where E]`.
type OnConflict struct {
	Target []string // the conflict target's columns; nil: Constraint, or any unique index (DO NOTHING only)
	// Constraint is the constraint ON CONSTRAINT names; "" when there is none.
	Constraint string
	Update     bool // DO UPDATE; false for DO NOTHING
	Set        []SetClause
	Where      *Expr // DO UPDATE ... WHERE; nil when there is none
}

// Projection is what a SELECT or RETURNING yields: all columns, count(*),
// the named columns, or, for a RETURNING list that is more than * or bare
// column names, its Items.
type Projection struct {
	Star  bool
	Count bool // count(*)
	Cols  []string
	Items []OutputItem
}

// OutputItem is one entry of a RETURNING list: * or T.* (Star, with Table
// the qualifier or ""), or an expression with the name its output column
// takes (Name: the AS alias, or "" for the column's own name or
// PostgreSQL's "?column?").
type OutputItem struct {
	Star  bool
	Table string
	Expr  Expr
	Name  string
}

// LockStrength is the strength of a SELECT's row-locking clause.
type LockStrength uint8

// The row-lock strengths, weakest first, as PostgreSQL's.
const (
	ForKeyShare LockStrength = iota + 1
	ForShare
	ForNoKeyUpdate
	ForUpdate
)

func (s LockStrength) String() string {
	switch s {
	case ForKeyShare:
		return "FOR KEY SHARE"
	case ForShare:
		return "FOR SHARE"
	case ForNoKeyUpdate:
		return "FOR NO KEY UPDATE"
	case ForUpdate:
		return "FOR UPDATE"
	}
	return "lock(" + strconv.Itoa(int(s)) + ")"
}

// WaitPolicy is what a locking clause does when a row is locked.
type WaitPolicy uint8

// The wait policies.
const (
	Block      WaitPolicy = iota // wait for the lock
	NoWait                       // fail at once with 55P03
	SkipLocked                   // leave the row out
)

// OrderItem is one key of ORDER BY.
type OrderItem struct {
	Col        string
	Desc       bool
	NullsFirst bool // as written, or the default: NULLS FIRST for DESC, LAST for ASC
}

// Select is `select * | count(*) | cols from T [where E] [order by c [asc |
// desc] [nulls first | last], ...] [limit n | $n | all] [for update | for no
// key update | for share | for key share [nowait | skip locked]]` (LIMIT
// and the locking clause in either order).
type Select struct {
	Table   string
	What    Projection
	Where   *Expr // nil: every row
	OrderBy []OrderItem
	Limit   *Expr // a constant or parameter; nil: no limit
	Lock    LockStrength
	Wait    WaitPolicy
}

// SetClause is one `c = E` of an UPDATE or ON CONFLICT DO UPDATE.
type SetClause struct {
	Col   string
	Value Expr
}

// Update is `update T set c = E, ... [where E] [returning ...]`.
type Update struct {
	Table     string
	Set       []SetClause
	Where     *Expr
	Returning *Projection
}

// Delete is `delete from T [where E] [returning ...]`.
type Delete struct {
	Table     string
	Where     *Expr
	Returning *Projection
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
	CodeUndefinedTable           = "42P01" // also a qualifier that names no table of the statement
	CodeAmbiguousAlias           = "42P09" // a qualifier that names two tables of the statement
	CodeUndefinedObject          = "42704" // ON CONFLICT ON CONSTRAINT naming no constraint
	CodeUndefinedColumn          = "42703"
	CodeAmbiguousColumn          = "42702"
	CodeDuplicateTable           = "42P07"
	CodeSyntaxError              = "42601"
	CodeDatatypeMismatch         = "42804"
	CodeInvalidText              = "22P02" // invalid input syntax for a type
	CodeInvalidDatetimeFormat    = "22007"
	CodeDatetimeOverflow         = "22008" // a date/time field or result out of range
	CodeIntervalFieldOverflow    = "22015"
	CodeInvalidLimit             = "2201W" // LIMIT must not be negative
	CodeCardinalityViolation     = "21000" // ON CONFLICT DO UPDATE affecting a row twice
	CodeGeneratedAlways          = "428C9" // a value for a GENERATED ALWAYS column
	CodeLockNotAvailable         = "55P03"
	CodeQueryCanceled            = "57014" // statement_timeout
	CodeUndefinedParameter       = "42P02"
	CodeConnectionFailure        = "08006"
	CodeNoActiveTransaction      = "25P01" // warning in PostgreSQL; not raised here
	CodeActiveTransaction        = "25001" // warning in PostgreSQL; not raised here
	CodeReadOnlyTransaction      = "25006" // a write on a hot standby
	CodeInvalidCursorState       = "24000"
	CodeNumericOutOfRange        = "22003"
	CodeFeatureNotSupported      = "0A000"
	CodeInvalidTableDef          = "42P16" // multiple primary keys
	CodeDuplicateColumn          = "42701"
	CodeGroupingError            = "42803"
	CodeUndefinedFunction        = "42883" // e.g. operator does not exist: text = integer
	CodeAmbiguousFunction        = "42725" // operator is not unique: unknown + unknown
	CodeDivisionByZero           = "22012"
	CodeInvalidOnConflict        = "42P10"
	CodeProtocolViolation        = "08P01"
	CodeCharacterNotInRepertoire = "22021"
	CodeInvalidColumnReference   = "42P10" // e.g. a column in LIMIT
	CodeStackDepthExceeded       = "54001" // an expression nested past MaxExprDepth
)

// Error is a database error with its SQLSTATE.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return "ERROR " + e.Code + ": " + e.Msg }
