package sql

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// rerun is the command that reruns the calling test or subtest alone; every
// failure message carries it.
func rerun(t testing.TB) string { return testcmd.Rerun(t, "./sim/db/sql") }

// parse calls Parse and turns a panic into a failure naming the input.
func parse(t testing.TB, in string) (s Stmt, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Parse(%q) panicked: %v\n%s", in, r, rerun(t))
		}
	}()
	return Parse(in)
}

// Shorthands for expected expressions.
func num(n int64) Expr        { return Expr{Value: IntValue(n)} }
func str(s string) Expr       { return Expr{Value: TextValue(s)} }
func param(n int) Expr        { return Expr{Param: n} }
func exprs(es ...Expr) []Expr { return es }

var null = Expr{}

// validCase is a text that parses into want; params is Params(want).
type validCase struct {
	name   string
	in     string
	want   Stmt
	params int
}

// formCases cover every statement form of the grammar and the lexical rules.
var formCases = []validCase{
	// CREATE TABLE
	{name: "create", in: "create table t (id int primary key, v text)",
		want: &CreateTable{Table: "t", Cols: []ColumnDef{{Name: "id", Type: Int, PrimaryKey: true}, {Name: "v", Type: Text}}}},
	{name: "create/int types", in: "create table t (a int, b integer, c bigint, d int4, e int8, f text)",
		want: &CreateTable{Table: "t", Cols: []ColumnDef{{Name: "a", Type: Int}, {Name: "b", Type: Int}, {Name: "c", Type: BigInt},
			{Name: "d", Type: Int}, {Name: "e", Type: BigInt}, {Name: "f", Type: Text}}}},
	{name: "create/constraints", in: "create table t (id bigint primary key not null, k text unique not null, n text not null)",
		want: &CreateTable{Table: "t", Cols: []ColumnDef{{Name: "id", Type: BigInt, PrimaryKey: true, NotNull: true},
			{Name: "k", Type: Text, Unique: true, NotNull: true}, {Name: "n", Type: Text, NotNull: true}}}},
	{name: "create/constraints in any order", in: "create table t (id int not null unique primary key)",
		want: &CreateTable{Table: "t", Cols: []ColumnDef{{Name: "id", Type: Int, PrimaryKey: true, Unique: true, NotNull: true}}}},
	{name: "create/upper case", in: "CREATE TABLE Accounts (ID INTEGER PRIMARY KEY, Owner TEXT UNIQUE)",
		want: &CreateTable{Table: "accounts", Cols: []ColumnDef{{Name: "id", Type: Int, PrimaryKey: true}, {Name: "owner", Type: Text, Unique: true}}}},
	{name: "create/unreserved keywords as names", in: "create table keys (key text primary key, value int, level int, text text)",
		want: &CreateTable{Table: "keys", Cols: []ColumnDef{{Name: "key", Type: Text, PrimaryKey: true}, {Name: "value", Type: Int},
			{Name: "level", Type: Int}, {Name: "text", Type: Text}}}},
	{name: "create/newlines and comments", in: "create table t ( -- the table\n\tid int primary key, -- its key\n\tv text\n);\n",
		want: &CreateTable{Table: "t", Cols: []ColumnDef{{Name: "id", Type: Int, PrimaryKey: true}, {Name: "v", Type: Text}}}},
	{name: "create/names truncated to 63 bytes", in: "create table " + strings.Repeat("x", 70) + " (" + strings.Repeat("c", 64) + " int)",
		want: &CreateTable{Table: strings.Repeat("x", 63), Cols: []ColumnDef{{Name: strings.Repeat("c", 63), Type: Int}}}},

	// DROP TABLE
	{name: "drop", in: "drop table t", want: &DropTable{Table: "t"}},
	{name: "drop/if exists", in: "DROP TABLE IF EXISTS t;", want: &DropTable{Table: "t", IfExists: true}},
	{name: "drop/table named if", in: "drop table if", want: &DropTable{Table: "if"}},

	// INSERT
	{name: "insert", in: "insert into t values (1, 'a')",
		want: &Insert{Table: "t", Rows: [][]Expr{{num(1), str("a")}}}},
	{name: "insert/columns and rows", in: "insert into t (a, b) values (1, 'x'), (-2, null), ($1, $2)",
		want:   &Insert{Table: "t", Cols: []string{"a", "b"}, Rows: [][]Expr{{num(1), str("x")}, {num(-2), null}, {param(1), param(2)}}},
		params: 2},
	{name: "insert/on conflict do nothing", in: "insert into t values (1) on conflict do nothing",
		want: &Insert{Table: "t", Rows: [][]Expr{{num(1)}}, OnConflict: true}},
	{name: "insert/on conflict column", in: "insert into t (k) values ('a') on conflict (k) do nothing",
		want: &Insert{Table: "t", Cols: []string{"k"}, Rows: [][]Expr{{str("a")}}, OnConflict: true, Conflict: "k"}},
	{name: "insert/returning star", in: "insert into t values (1) returning *",
		want: &Insert{Table: "t", Rows: [][]Expr{{num(1)}}, Returning: &Projection{Star: true}}},
	{name: "insert/returning columns", in: "insert into t values (1, 2) on conflict do nothing returning b, a",
		want: &Insert{Table: "t", Rows: [][]Expr{{num(1), num(2)}}, OnConflict: true, Returning: &Projection{Cols: []string{"b", "a"}}}},
	{name: "insert/no spaces", in: "insert into t(a,b)values(1,'x'),(2,'y')returning*",
		want: &Insert{Table: "t", Cols: []string{"a", "b"}, Rows: [][]Expr{{num(1), str("x")}, {num(2), str("y")}}, Returning: &Projection{Star: true}}},

	// Literals
	{name: "literal/escaped quote", in: "insert into t values ('it''s', '''', '', 'a''''b')",
		want: &Insert{Table: "t", Rows: [][]Expr{{str("it's"), str("'"), str(""), str("a''b")}}}},
	{name: "literal/backslash is itself", in: `insert into t values ('a\nb\')`,
		want: &Insert{Table: "t", Rows: [][]Expr{{str(`a\nb\`)}}}},
	{name: "literal/string keeps case, spaces and --", in: "insert into t values ('Hello, -- World; $1')",
		want: &Insert{Table: "t", Rows: [][]Expr{{str("Hello, -- World; $1")}}}},
	{name: "literal/non-ASCII string", in: "insert into t values ('naïve ☃')",
		want: &Insert{Table: "t", Rows: [][]Expr{{str("naïve ☃")}}}},
	{name: "literal/negative numbers", in: "insert into t values (-5, - 7, -0, 007)",
		want: &Insert{Table: "t", Rows: [][]Expr{{num(-5), num(-7), num(0), num(7)}}}},
	{name: "literal/int64 limits", in: "insert into t values (9223372036854775807, -9223372036854775808)",
		want: &Insert{Table: "t", Rows: [][]Expr{{num(9223372036854775807), num(-9223372036854775808)}}}},
	{name: "literal/NULL in any case", in: "insert into t values (NULL, Null)",
		want: &Insert{Table: "t", Rows: [][]Expr{{null, null}}}},
	{name: "literal/params", in: "insert into t values ($3, $1, $01)",
		want: &Insert{Table: "t", Rows: [][]Expr{{param(3), param(1), param(1)}}}, params: 3},

	// SELECT
	{name: "select star", in: "select * from t", want: &Select{Table: "t", What: Projection{Star: true}}},
	{name: "select count", in: "select count(*) from t", want: &Select{Table: "t", What: Projection{Count: true}}},
	{name: "select count/spaces and case", in: "SELECT Count ( * ) FROM t", want: &Select{Table: "t", What: Projection{Count: true}}},
	{name: "select columns", in: "select b, a, b from t", want: &Select{Table: "t", What: Projection{Cols: []string{"b", "a", "b"}}}},
	{name: "select column named count", in: "select count from t", want: &Select{Table: "t", What: Projection{Cols: []string{"count"}}}},
	{name: "select/where eq", in: "select * from t where a = 1",
		want: &Select{Table: "t", What: Projection{Star: true}, Where: []Pred{{Col: "a", Op: Eq, Value: num(1)}}}},
	{name: "select/where all forms", in: "select a from t where a = $2 and b % 4 = -1 and c in (1, 'x', null, $1)",
		want: &Select{Table: "t", What: Projection{Cols: []string{"a"}}, Where: []Pred{
			{Col: "a", Op: Eq, Value: param(2)},
			{Col: "b", Op: Mod, Mod: 4, Value: num(-1)},
			{Col: "c", Op: In, Values: exprs(num(1), str("x"), null, param(1))},
		}}, params: 2},
	{name: "select/where mod param", in: "select * from t where a % 10 = $1",
		want: &Select{Table: "t", What: Projection{Star: true}, Where: []Pred{{Col: "a", Op: Mod, Mod: 10, Value: param(1)}}}, params: 1},
	{name: "select/operators split as PostgreSQL does", in: "select * from t where a=-5 and b%3=-0 and c in(-1)",
		want: &Select{Table: "t", What: Projection{Star: true}, Where: []Pred{
			{Col: "a", Op: Eq, Value: num(-5)}, {Col: "b", Op: Mod, Mod: 3, Value: num(0)}, {Col: "c", Op: In, Values: exprs(num(-1))}}}},
	{name: "select/for update", in: "select * from t where a = 1 for update",
		want: &Select{Table: "t", What: Projection{Star: true}, Where: []Pred{{Col: "a", Op: Eq, Value: num(1)}}, ForUpdate: true}},
	{name: "select/for update nowait", in: "select a, b from t for update nowait;",
		want: &Select{Table: "t", What: Projection{Cols: []string{"a", "b"}}, ForUpdate: true, NoWait: true}},
	{name: "select/comments and trailing semicolon", in: "-- first\nselect * -- all\nfrom t -- the table\n; -- done",
		want: &Select{Table: "t", What: Projection{Star: true}}},
	{name: "select/white space", in: "\t\r\n\fselect\n*\nfrom\r\nt\twhere\ta\f=\n1\n",
		want: &Select{Table: "t", What: Projection{Star: true}, Where: []Pred{{Col: "a", Op: Eq, Value: num(1)}}}},

	// UPDATE
	{name: "update", in: "update t set a = 1", want: &Update{Table: "t", Set: []SetClause{{Col: "a", Value: num(1)}}}},
	{name: "update/several and where", in: "update t set a = 'x', b = null, c = $1 where id = $2 and k in (1, 2)",
		want: &Update{Table: "t", Set: []SetClause{{Col: "a", Value: str("x")}, {Col: "b", Value: null}, {Col: "c", Value: param(1)}},
			Where: []Pred{{Col: "id", Op: Eq, Value: param(2)}, {Col: "k", Op: In, Values: exprs(num(1), num(2))}}}, params: 2},
	{name: "update/increment", in: "update t set a = a + 10", want: &Update{Table: "t", Set: []SetClause{{Col: "a", Value: num(10), Incr: true}}}},
	{name: "update/decrement is a negative increment", in: "update t set a = a - 10",
		want: &Update{Table: "t", Set: []SetClause{{Col: "a", Value: num(-10), Incr: true}}}},
	{name: "update/increment by a negative number", in: "update t set a = a + -3, b = b - -4, c=c+-1",
		want: &Update{Table: "t", Set: []SetClause{{Col: "a", Value: num(-3), Incr: true}, {Col: "b", Value: num(4), Incr: true}, {Col: "c", Value: num(-1), Incr: true}}}},
	{name: "update/increment by a parameter", in: "update t set a = a + $1 where id = $2",
		want: &Update{Table: "t", Set: []SetClause{{Col: "a", Value: param(1), Incr: true}}, Where: []Pred{{Col: "id", Op: Eq, Value: param(2)}}}, params: 2},
	{name: "update/table named set", in: "update set set set = 1",
		want: &Update{Table: "set", Set: []SetClause{{Col: "set", Value: num(1)}}}},

	// DELETE
	{name: "delete", in: "delete from t", want: &Delete{Table: "t"}},
	{name: "delete/where", in: "DELETE FROM t WHERE a % 2 = 1 AND b = $3",
		want: &Delete{Table: "t", Where: []Pred{{Col: "a", Op: Mod, Mod: 2, Value: num(1)}, {Col: "b", Op: Eq, Value: param(3)}}}, params: 3},

	// Transactions
	{name: "begin", in: "begin", want: &Begin{}},
	{name: "begin transaction", in: "begin transaction", want: &Begin{}},
	{name: "begin work", in: "BEGIN WORK;", want: &Begin{}},
	{name: "begin/read uncommitted", in: "begin isolation level read uncommitted", want: &Begin{Level: ReadUncommitted}},
	{name: "begin/read committed", in: "begin work isolation level read committed", want: &Begin{Level: ReadCommitted}},
	{name: "begin/repeatable read", in: "begin transaction isolation level repeatable read", want: &Begin{Level: RepeatableRead}},
	{name: "begin/serializable", in: "Begin Transaction Isolation Level Serializable", want: &Begin{Level: Serializable}},
	{name: "start transaction", in: "start transaction", want: &Begin{}},
	{name: "start transaction/level", in: "start transaction isolation level serializable", want: &Begin{Level: Serializable}},
	{name: "set transaction", in: "set transaction isolation level read committed", want: &SetTransaction{Level: ReadCommitted}},
	{name: "set transaction/repeatable read", in: "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;", want: &SetTransaction{Level: RepeatableRead}},
	{name: "commit", in: "commit", want: &Commit{}},
	{name: "commit transaction", in: "commit transaction", want: &Commit{}},
	{name: "commit work", in: "commit work;", want: &Commit{}},
	{name: "end", in: "end", want: &Commit{}},
	{name: "end transaction", in: "END TRANSACTION", want: &Commit{}},
	{name: "rollback", in: "rollback", want: &Rollback{}},
	{name: "rollback transaction", in: "rollback transaction", want: &Rollback{}},
	{name: "rollback work", in: "ROLLBACK WORK", want: &Rollback{}},
	{name: "abort", in: "abort", want: &Rollback{}},
	{name: "abort work", in: "abort work;", want: &Rollback{}},
}

// projectCases are the statements the project's scenarios run: Hermitage's
// isolation tests and the idempotency-key strategies.
var projectCases = []validCase{
	{name: "hermitage/create", in: "create table test (id int primary key, value int)",
		want: &CreateTable{Table: "test", Cols: []ColumnDef{{Name: "id", Type: Int, PrimaryKey: true}, {Name: "value", Type: Int}}}},
	{name: "hermitage/setup", in: "insert into test (id, value) values (1, 10), (2, 20);",
		want: &Insert{Table: "test", Cols: []string{"id", "value"}, Rows: [][]Expr{{num(1), num(10)}, {num(2), num(20)}}}},
	{name: "hermitage/begin", in: "begin;", want: &Begin{}},
	{name: "hermitage/set level", in: "set transaction isolation level read committed;", want: &SetTransaction{Level: ReadCommitted}},
	{name: "hermitage/begin repeatable read", in: "begin transaction isolation level repeatable read", want: &Begin{Level: RepeatableRead}},
	{name: "hermitage/begin serializable", in: "begin transaction isolation level serializable", want: &Begin{Level: Serializable}},
	{name: "hermitage/update by id", in: "update test set value = 11 where id = 1;",
		want: &Update{Table: "test", Set: []SetClause{{Col: "value", Value: num(11)}}, Where: []Pred{{Col: "id", Op: Eq, Value: num(1)}}}},
	{name: "hermitage/select all", in: "select * from test;", want: &Select{Table: "test", What: Projection{Star: true}}},
	{name: "hermitage/select by value", in: "select * from test where value = 30",
		want: &Select{Table: "test", What: Projection{Star: true}, Where: []Pred{{Col: "value", Op: Eq, Value: num(30)}}}},
	{name: "hermitage/insert third", in: "insert into test (id, value) values(3, 30)",
		want: &Insert{Table: "test", Cols: []string{"id", "value"}, Rows: [][]Expr{{num(3), num(30)}}}},
	{name: "hermitage/select mod", in: "select * from test where value % 3 = 0",
		want: &Select{Table: "test", What: Projection{Star: true}, Where: []Pred{{Col: "value", Op: Mod, Mod: 3, Value: num(0)}}}},
	{name: "hermitage/select mod 5", in: "select * from test where value % 5 = 0",
		want: &Select{Table: "test", What: Projection{Star: true}, Where: []Pred{{Col: "value", Op: Mod, Mod: 5, Value: num(0)}}}},
	{name: "hermitage/increment all", in: "update test set value = value + 10",
		want: &Update{Table: "test", Set: []SetClause{{Col: "value", Value: num(10), Incr: true}}}},
	{name: "hermitage/delete", in: "delete from test where value = 20",
		want: &Delete{Table: "test", Where: []Pred{{Col: "value", Op: Eq, Value: num(20)}}}},
	{name: "hermitage/select in", in: "select * from test where id in (1,2)",
		want: &Select{Table: "test", What: Projection{Star: true}, Where: []Pred{{Col: "id", Op: In, Values: exprs(num(1), num(2))}}}},
	{name: "hermitage/commit", in: "commit;", want: &Commit{}},
	{name: "hermitage/rollback", in: "rollback;", want: &Rollback{}},
	{name: "hermitage/abort", in: "abort", want: &Rollback{}},
	{name: "hermitage/drop", in: "drop table if exists test", want: &DropTable{Table: "test", IfExists: true}},
	{name: "idem/create keys", in: "create table keys (key text primary key, status text not null, response text)",
		want: &CreateTable{Table: "keys", Cols: []ColumnDef{{Name: "key", Type: Text, PrimaryKey: true}, {Name: "status", Type: Text, NotNull: true}, {Name: "response", Type: Text}}}},
	{name: "idem/claim key", in: "insert into keys (key, status) values ('k', 'started') on conflict (key) do nothing returning *",
		want: &Insert{Table: "keys", Cols: []string{"key", "status"}, Rows: [][]Expr{{str("k"), str("started")}},
			OnConflict: true, Conflict: "key", Returning: &Projection{Star: true}}},
	{name: "idem/claim key with params", in: "insert into keys (key, status) values ($1, 'started') on conflict (key) do nothing returning key, status",
		want: &Insert{Table: "keys", Cols: []string{"key", "status"}, Rows: [][]Expr{{param(1), str("started")}},
			OnConflict: true, Conflict: "key", Returning: &Projection{Cols: []string{"key", "status"}}}, params: 1},
	{name: "idem/lock key", in: "select * from keys where key = 'k' for update nowait",
		want: &Select{Table: "keys", What: Projection{Star: true}, Where: []Pred{{Col: "key", Op: Eq, Value: str("k")}}, ForUpdate: true, NoWait: true}},
	{name: "idem/lock key waiting", in: "select status, response from keys where key = $1 for update",
		want: &Select{Table: "keys", What: Projection{Cols: []string{"status", "response"}}, Where: []Pred{{Col: "key", Op: Eq, Value: param(1)}}, ForUpdate: true}, params: 1},
	{name: "idem/finish key", in: "update keys set status = 'done', response = $2 where key = $1",
		want: &Update{Table: "keys", Set: []SetClause{{Col: "status", Value: str("done")}, {Col: "response", Value: param(2)}},
			Where: []Pred{{Col: "key", Op: Eq, Value: param(1)}}}, params: 2},
	{name: "idem/forget key", in: "delete from keys where key = $1 and status = 'started'",
		want: &Delete{Table: "keys", Where: []Pred{{Col: "key", Op: Eq, Value: param(1)}, {Col: "status", Op: Eq, Value: str("started")}}}, params: 1},
	{name: "idem/create ledger", in: "create table ledger (id bigint primary key, op text not null, amount bigint not null)",
		want: &CreateTable{Table: "ledger", Cols: []ColumnDef{{Name: "id", Type: BigInt, PrimaryKey: true}, {Name: "op", Type: Text, NotNull: true}, {Name: "amount", Type: BigInt, NotNull: true}}}},
	{name: "idem/charge", in: "insert into ledger (id, op, amount) values ($1, $2, $3)",
		want: &Insert{Table: "ledger", Cols: []string{"id", "op", "amount"}, Rows: [][]Expr{{param(1), param(2), param(3)}}}, params: 3},
	{name: "idem/count charges", in: "select count(*) from ledger where op = $1",
		want: &Select{Table: "ledger", What: Projection{Count: true}, Where: []Pred{{Col: "op", Op: Eq, Value: param(1)}}}, params: 1},
	{name: "idem/debit", in: "update accounts set balance = balance - 100 where id = 1",
		want: &Update{Table: "accounts", Set: []SetClause{{Col: "balance", Value: num(-100), Incr: true}}, Where: []Pred{{Col: "id", Op: Eq, Value: num(1)}}}},
	{name: "idem/credit", in: "update accounts set balance = balance + $1 where id = $2",
		want: &Update{Table: "accounts", Set: []SetClause{{Col: "balance", Value: param(1), Incr: true}}, Where: []Pred{{Col: "id", Op: Eq, Value: param(2)}}}, params: 2},
}

// checkValid parses c.in and compares the whole statement and Params.
func checkValid(t *testing.T, c validCase) {
	t.Helper()
	got, err := parse(t, c.in)
	require.NoError(t, err, "Parse(%q)\n%s", c.in, rerun(t))
	assert.Equal(t, c.want, got, "Parse(%q)\n%s", c.in, rerun(t))
	assert.Equal(t, c.params, Params(got), "Params(Parse(%q))\n%s", c.in, rerun(t))
}

// Goal: every statement form of the grammar, and every lexical rule (case,
// comments, white space, trailing ;, negative numbers, ” escapes, $n),
// parses into exactly the expected statement, and Params reports its
// highest parameter.
// Method: table of texts with the whole statement each must give, compared
// with assert.Equal, and the expected Params.
func TestParseForms(t *testing.T) {
	for _, c := range formCases {
		t.Run(c.name, func(t *testing.T) { checkValid(t, c) })
	}
}

// Goal: every statement the project's scenarios (Hermitage's isolation
// tests, the idempotency-key strategies) will run parses as intended.
// Method: as TestParseForms, on those statements.
func TestParseProjectStatements(t *testing.T) {
	for _, c := range projectCases {
		t.Run(c.name, func(t *testing.T) { checkValid(t, c) })
	}
}

// invalidCase is a text that must be refused with code, its message
// containing msg.
type invalidCase struct {
	in, code, msg string
}

const unsupp = "is not supported by idemsim's SQL subset"

// manyNames is "c0, c1, ..., c(n-1)".
func manyNames(n int) string {
	names := make([]string, n)
	for i := range names {
		names[i] = "c" + strconv.Itoa(i)
	}
	return strings.Join(names, ", ")
}

var invalidCases = []invalidCase{
	// Syntax errors: PostgreSQL refuses these too.
	{"selec * from t", "42601", `syntax error at or near "selec": expected a statement`},
	{"select * frm test", "42601", `syntax error at or near "frm": expected "from"`},
	{"select * from", "42601", `syntax error at end of input: expected a table name`},
	{"select * from t where", "42601", `syntax error at end of input`},
	{"select * from t where a", "42601", `syntax error at end of input: expected "=", "%" or "in"`},
	{"select * from t where a =", "42601", `syntax error at end of input: expected a literal or $n parameter`},
	{"select * from t where a = 1 and", "42601", `syntax error at end of input: expected a column name`},
	{"select * from t where a in ()", "42601", `syntax error at or near ")": expected a literal or $n parameter`},
	{"select * from t where a in (1 2)", "42601", `syntax error at or near "2": expected "," or ")"`},
	{"select * from t where a % = 1", "42601", `syntax error at or near "=": expected a positive integer`},
	{"select * from t where a % 2 1", "42601", `syntax error at or near "1": expected "="`},
	{"select * from t where a = -", "42601", `syntax error at end of input: expected an integer`},
	{"select * from t where a = 1 b = 2", "42601", `syntax error at or near "b": expected "and", "for update", ";" or end of input`},
	{"select * from t for update nowait nowait", "42601", `syntax error at or near "nowait": expected ";" or end of input`},
	{"select * from t for", "42601", `syntax error at end of input: expected "update"`},
	{"select *", "42601", `SELECT * with no tables specified is not valid`},
	{"select a, from t", "42601", `syntax error at or near "from": expected *, count(*) or a column name ("from" is a reserved keyword)`},
	{"select * from user", "42601", `syntax error at or near "user": expected a table name ("user" is a reserved keyword)`},
	{"create table user (id int)", "42601", `syntax error at or near "user"`},
	{"create table t (order int)", "42601", `syntax error at or near "order"`},
	{"create table t (a)", "42601", `syntax error at or near ")": expected a type name`},
	{"create table t (a int(5))", "42601", `syntax error at or near "(": expected "primary key", "unique", "not null", "," or ")"`},
	{"create table t (a int primary)", "42601", `syntax error at or near ")": expected "key"`},
	{"create table t (a int not)", "42601", `syntax error at or near ")": expected "null"`},
	{"create table t a int", "42601", `syntax error at or near "a": expected "("`},
	{"create t (a int)", "42601", `syntax error at or near "t": expected "table"`},
	{"drop table", "42601", `syntax error at end of input: expected a table name`},
	{"drop table if exists", "42601", `syntax error at end of input: expected a table name`},
	{"drop table t u", "42601", `syntax error at or near "u"`},
	{"insert t values (1)", "42601", `syntax error at or near "t": expected "into"`},
	{"insert into t values ()", "42601", `syntax error at or near ")": expected a literal or $n parameter`},
	{"insert into t values 1", "42601", `syntax error at or near "1": expected "("`},
	{"insert into t (a b) values (1)", "42601", `syntax error at or near "b": expected "," or ")"`},
	{"insert into t () values ()", "42601", `syntax error at or near ")": expected a column name`},
	{"insert into t (a, b) values (1)", "42601", `INSERT has more target columns than expressions`},
	{"insert into t (a) values (1, 2)", "42601", `INSERT has more expressions than target columns`},
	{"insert into t values (1), (1, 2)", "42601", `VALUES lists must all be the same length`},
	{"insert into t values (1) on conflict (a) do", "42601", `syntax error at end of input: expected "nothing"`},
	{"insert into t values (1) on conflict () do nothing", "42601", `syntax error at or near ")": expected a column name`},
	{"insert into t values (1) on conflict (a do nothing", "42601", `syntax error at or near "do": expected ")"`},
	{"insert into t values (1) on duplicate key", "42601", `syntax error at or near "duplicate": expected "conflict"`},
	{"insert into t values (1) returning", "42601", `syntax error at end of input: expected *, count(*) or a column name`},
	{"update t a = 1", "42601", `syntax error at or near "a": expected "set"`},
	{"update t set a 1", "42601", `syntax error at or near "1": expected "="`},
	{"update t set a = a +", "42601", `syntax error at end of input: expected a literal or $n parameter`},
	{"update t set a = 1, a = 2", "42601", `multiple assignments to same column "a"`},
	{"delete t", "42601", `syntax error at or near "t": expected "from"`},
	{"begin isolation level", "42601", `syntax error at end of input: expected "read committed", "read uncommitted", "repeatable read" or "serializable"`},
	{"begin isolation level read", "42601", `syntax error at end of input: expected "committed" or "uncommitted"`},
	{"begin isolation level repeatable", "42601", `expected "read"`},
	{"begin read committed", "42601", `syntax error at or near "read"`},
	{"begin isolation level serializable,", "42601", `syntax error at end of input: expected "isolation level"`},
	{"set transaction", "42601", `syntax error at end of input: expected "isolation level"`},
	{"set", "42601", `syntax error at end of input: expected "transaction"`},
	{"start", "42601", `syntax error at end of input: expected "transaction"`},
	{"commit now", "42601", `syntax error at or near "now"`},
	{"rollback work work", "42601", `syntax error at or near "work"`},
	{"select * from t where a = {1}", "42601", `syntax error at or near "{"`},
	{`select * from t \g`, "42601", `syntax error at or near "\"`},
	{"select * from t where a = 'abc", "42601", `unterminated quoted string at or near "'abc"`},
	{"select * from t where a = 12abc", "42601", `trailing junk after numeric literal at or near "12abc"`},
	{"select * from t where a = 1e", "42601", `trailing junk after numeric literal at or near "1e"`},
	{"select * from t where a = $0", "42601", `syntax error at or near "$0"`},
	{"select * from t where a = $", "42601", `syntax error at or near "$"`},
	{"select * from t where a = $ 1", "42601", `syntax error at or near "$"`},
	{"select * from t where a = $1x", "42601", `trailing junk after parameter at or near "$1x"`},

	// PostgreSQL accepts these; this dialect does not.
	{"", "0A000", "an empty statement " + unsupp},
	{" -- nothing\n;", "0A000", "an empty statement " + unsupp},
	{"select * from t; select * from u", "0A000", `more than one statement in a text ` + unsupp + ` (at or near "select")`},
	{"select * from t;;", "0A000", "more than one statement in a text"},
	{"select 1", "0A000", `an output column that is not a column name ` + unsupp + ` (at or near "1")`},
	{"select", "0A000", "SELECT without FROM"},
	{"select a", "0A000", "SELECT without FROM"},
	{"select distinct a from t", "0A000", "SELECT DISTINCT"},
	{"select a as b from t", "0A000", "an output column alias"},
	{"select a b from t", "0A000", "an output column alias"},
	{"select t.a from t", "0A000", "a qualified name"},
	{"select *, a from t", "0A000", "* with other output columns"},
	{"select a, * from t", "0A000", "* with other output columns"},
	{"select count(*), a from t", "0A000", "count(*) with other output columns"},
	{"select count(a) from t", "0A000", "count() of anything but *"},
	{"select lower(a) from t", "0A000", `a function call ` + unsupp + ` (at or near "lower")`},
	{"select a + 1 from t", "0A000", "an expression other than a literal"},
	{"select * from t where a = 1 or b = 2", "0A000", `OR ` + unsupp + ` (at or near "or")`},
	{"select * from t where not a = 1", "0A000", "NOT " + unsupp},
	{"select * from t where a not in (1)", "0A000", "NOT " + unsupp},
	{"select * from t where (a = 1)", "0A000", "a parenthesized condition"},
	{"select * from t where 1 = a", "0A000", "a condition that does not start with a column name"},
	{"select * from t where a < 3", "0A000", `the operator < ` + unsupp},
	{"select * from t where a <> 3", "0A000", `the operator <>`},
	{"select * from t where a != 3", "0A000", `the operator !=`},
	{"select * from t where a = 1 and b >= 2", "0A000", `the operator >=`},
	{"select * from t where a is null", "0A000", "IS " + unsupp},
	{"select * from t where a like 'x%'", "0A000", "LIKE " + unsupp},
	{"select * from t where a between 1 and 2", "0A000", "BETWEEN " + unsupp},
	{"select * from t where a = b", "0A000", "a column reference where a literal or $n parameter is expected"},
	{"select * from t where a = 1 + 1", "0A000", "an expression other than a literal or $n parameter"},
	{"select * from t where a = -$1", "0A000", "a minus sign before anything but an integer"},
	{"select * from t where a = - -1", "0A000", "a minus sign before anything but an integer"},
	{"select * from t where a = +1", "0A000", "unary plus"},
	{"select * from t where a = true", "0A000", "a boolean constant"},
	{"select * from t where a = '1'::int", "0A000", "an expression other than a literal"},
	{"select * from t where a = int '1'", "0A000", "a typed constant"},
	{"select * from t where a % 0 = 1", "0A000", "a modulus of 0"},
	{"select * from t where a % -3 = 1", "0A000", "a modulus other than a positive integer"},
	{"select * from t where a % $1 = 1", "0A000", "a modulus other than a positive integer"},
	{"select * from t where a % 3 < 1", "0A000", "an expression other than a literal"},
	{"select * from t where a %-3 = 1", "0A000", "the operator %-"},
	{"select * from t where a in (select a from u)", "0A000", `a subquery ` + unsupp},
	{"select * from t where lower(a) = 'x'", "0A000", "a function call"},
	{"select * from t join u on t.a = u.a", "0A000", `a join ` + unsupp + ` (at or near "join")`},
	{"select * from t left join u on t.a = u.a", "0A000", `a join`},
	{"select * from t, u", "0A000", "more than one table in FROM"},
	{"select * from t x", "0A000", "a table alias"},
	{"select * from t as x", "0A000", "a table alias"},
	{"select * from s.t", "0A000", "a qualified name"},
	{"select * from (select * from t) x", "0A000", "a subquery or function in FROM"},
	{"select * from only t", "0A000", "ONLY"},
	{"select * from t order by a", "0A000", "ORDER " + unsupp},
	{"select * from t limit 1", "0A000", "LIMIT " + unsupp},
	{"select * from t group by a", "0A000", "GROUP " + unsupp},
	{"select * from t union select * from u", "0A000", "UNION " + unsupp},
	{"select * from t for share", "0A000", "a locking clause other than FOR UPDATE"},
	{"select * from t for no key update", "0A000", "a locking clause other than FOR UPDATE"},
	{"select * from t for update skip locked", "0A000", "SKIP LOCKED"},
	{"select * from t for update of t", "0A000", "FOR UPDATE OF"},
	{"select count(*) from t for update", "0A000", "FOR UPDATE is not allowed with aggregate functions"},
	{"select count(*) from t where a = 1 for update nowait", "0A000", "FOR UPDATE is not allowed with aggregate functions"},
	{"select a into u from t", "0A000", "SELECT INTO"},
	{"insert into t select * from u", "0A000", "INSERT ... SELECT"},
	{"insert into t (a) select 1", "0A000", "INSERT ... SELECT"},
	{"insert into t default values", "0A000", "DEFAULT VALUES"},
	{"insert into t values (default)", "0A000", "DEFAULT " + unsupp},
	{"insert into t values (1 + 2)", "0A000", "an expression other than a literal or $n parameter"},
	{"insert into t values (now())", "0A000", "a function call"},
	{"insert into t values (current_timestamp)", "0A000", "CURRENT_TIMESTAMP " + unsupp},
	{"insert into t as x values (1)", "0A000", "a table alias"},
	{"insert into t values (1) on conflict do update set a = 1", "0A000", "ON CONFLICT DO UPDATE"},
	{"insert into t values (1) on conflict (a, b) do nothing", "0A000", "a conflict target other than one column"},
	{"insert into t values (1) on conflict (lower(a)) do nothing", "0A000", "a conflict target other than one column"},
	{"insert into t values (1) on conflict ((a)) do nothing", "0A000", "a conflict target other than one column"},
	{"insert into t values (1) on conflict (a text_pattern_ops) do nothing", "0A000", "a conflict target other than one column"},
	{"insert into t values (1) on conflict (a) where a > 0 do nothing", "0A000", "a conflict target with WHERE"},
	{"insert into t values (1) on conflict on constraint c do nothing", "0A000", "ON CONFLICT ON CONSTRAINT"},
	{"insert into t values (1) returning a + 1", "0A000", "an expression other than a literal"},
	{"insert into t values (1) returning a as b", "0A000", "an output column alias"},
	{"update t set a = 1 returning *", "0A000", `RETURNING in UPDATE ` + unsupp},
	{"update t set a = 1 from u", "0A000", "UPDATE ... FROM"},
	{"update t set a = a - $1", "0A000", `subtracting a parameter ` + unsupp + ` (at or near "$1"); write a = a + $n with the amount negated`},
	{"update t set a = b + 1", "0A000", "an increment of one column by another"},
	{"update t set a = a * 2", "0A000", "a column reference where a literal"},
	{"update t set a = a + 'x'", "0A000", "an increment by anything but an integer or $n"},
	{"update t set a = a + null", "0A000", "an increment by anything but an integer or $n"},
	{"update t set a = a + 1 + 1", "0A000", "an expression other than a literal"},
	{"update t set a = 1 + a", "0A000", "an expression other than a literal"},
	{"update t set a = default", "0A000", "DEFAULT " + unsupp},
	{"update t set (a, b) = (1, 2)", "0A000", "a multiple-column assignment"},
	{"update t x set a = 1", "0A000", "a table alias"},
	{"update t set a = 1 where current of c", "0A000", "WHERE CURRENT OF"},
	{"delete from t returning *", "0A000", `RETURNING in DELETE ` + unsupp},
	{"delete from t using u where t.a = u.a", "0A000", "DELETE ... USING"},
	{"create table t ()", "0A000", "a table without columns"},
	{"create table if not exists t (a int)", "0A000", "CREATE TABLE IF NOT EXISTS"},
	{"create temp table t (a int)", "0A000", "CREATE TEMP"},
	{"create index i on t (a)", "0A000", "CREATE INDEX"},
	{"create table t as select 1", "0A000", "CREATE TABLE AS"},
	{"create table t (a varchar(10))", "0A000", `the type "varchar" ` + unsupp + ` (at or near "varchar"); the types are int, integer, bigint, int4, int8 and text`},
	{"create table t (a smallint)", "0A000", `the type "smallint"`},
	{"create table t (a serial)", "0A000", `the type "serial"`},
	{"create table t (a int[])", "0A000", "an array type"},
	{"create table t (a int null)", "0A000", "the NULL column constraint"},
	{"create table t (a int default 0)", "0A000", "the column option DEFAULT"},
	{"create table t (a int references u (b))", "0A000", "the column option REFERENCES"},
	{"create table t (a int check (a > 0))", "0A000", "the column option CHECK"},
	{"create table t (a int, primary key (a))", "0A000", "a table constraint"},
	{"create table t (a int unique nulls not distinct)", "0A000", "UNIQUE NULLS [NOT] DISTINCT"},
	{"create table t (int int)", "0A000", `the keyword "int" as a name`},
	{"create table t (a int) with (fillfactor = 70)", "0A000", "CREATE TABLE ... WITH"},
	{"drop table t cascade", "0A000", "DROP TABLE ... CASCADE"},
	{"drop table t, u", "0A000", "dropping more than one table"},
	{"drop index i", "0A000", "DROP INDEX"},
	{"begin read only", "0A000", "READ ONLY and READ WRITE"},
	{"start transaction isolation level serializable read write", "0A000", "READ ONLY and READ WRITE"},
	{"begin isolation level serializable, isolation level read committed", "0A000", "a second isolation level"},
	{"begin isolation level serializable deferrable", "0A000", "DEFERRABLE"},
	{"commit and chain", "0A000", "AND [NO] CHAIN"},
	{"commit prepared 'x'", "0A000", "COMMIT PREPARED"},
	{"rollback to savepoint s", "0A000", "ROLLBACK TO SAVEPOINT"},
	{"set statement_timeout = 0", "0A000", "SET other than SET TRANSACTION"},
	{"set session characteristics as transaction isolation level serializable", "0A000", "SET other than SET TRANSACTION"},
	{"savepoint s", "0A000", "the SAVEPOINT statement"},
	{"explain select * from t", "0A000", "the EXPLAIN statement"},
	{"values (1)", "0A000", "the VALUES statement"},
	{"with x as (select 1) select * from x", "0A000", "the WITH statement"},
	{"truncate t", "0A000", "the TRUNCATE statement"},
	{"(select * from t)", "0A000", "a parenthesized statement"},

	// Lexical forms PostgreSQL reads and this dialect does not.
	{"select * from t where a = 1.5", "0A000", `a numeric constant with a fraction or exponent ` + unsupp + ` (at or near "1.5")`},
	{"select * from t where a = .5", "0A000", `(at or near ".5")`},
	{"select * from t where a = 1e3", "0A000", `(at or near "1e3")`},
	{"select * from t where a = 0x1f", "0A000", "a hexadecimal, octal or binary integer constant"},
	{"select * from t where a = 1_000", "0A000", "an integer constant with _ separators"},
	{"select * from t where a = E'x'", "0A000", "a string constant with a prefix (E'...')"},
	{"select * from t where a = x'1f'", "0A000", "a string constant with a prefix (X'...')"},
	{"select * from t where a = U&'x'", "0A000", "a U& Unicode escape constant"},
	{"select * from t where a = $$x$$", "0A000", "a dollar-quoted string constant"},
	{"select * from t where a = $q$x$q$", "0A000", "a dollar-quoted string constant"},
	{"select * from t where a = $70000", "0A000", "a parameter number above $65535"},
	{"select * from t where a = 'x'\n'y'", "0A000", "a string constant continued on the next line"},
	{"select * from t where a = 'x' -- c\n 'y'", "0A000", "a string constant continued on the next line"},
	{`select * from "t"`, "0A000", "a quoted identifier"},
	{"select * from t /* c */", "0A000", "a /* */ comment (use --) " + unsupp},
	{"select * from café", "0A000", "a non-ASCII character in a name"},
	{"select * from t where a = ☃", "0A000", "a non-ASCII character outside a string constant"},
	{"select * from t$", "0A000", "a name containing $"},

	// Integers out of the range of bigint.
	{"select * from t where a = 9223372036854775808", "22003", `value "9223372036854775808" is out of range for type bigint`},
	{"insert into t values (-9223372036854775809)", "22003", `value "-9223372036854775809" is out of range for type bigint`},
	{"insert into t values (99999999999999999999999999)", "22003", `out of range for type bigint`},
	{"select * from t where a % 99999999999999999999 = 0", "22003", `out of range for type bigint`},
	{"update t set a = a - -9223372036854775808", "22003", `bigint out of range`},
	{"insert into t values (1, 99999999999999999999, 99999999999999999998)", "22003", `value "99999999999999999999" is out of range`},
	{"insert into t values (99999999999999999999) garbage", "42601", `syntax error at or near "garbage"`},
	{"select * from t where a % 99999999999999999999 = 0 or b = 1", "0A000", `OR ` + unsupp},
	{"create table t (a int, a int); select 99999999999999999999", "0A000", `more than one statement`},

	// Checks PostgreSQL makes once the text has parsed.
	{"create table t (a int primary key, b int primary key)", "42P16", `multiple primary keys for table "t" are not allowed`},
	{"create table t (a int primary key primary key)", "42P16", `multiple primary keys for table "t" are not allowed`},
	{"create table t (a int, b text, a text)", "42701", `column "a" specified more than once`},
	{"create table t (a int, A text)", "42701", `column "a" specified more than once`},
	{"insert into t (a, b, a) values (1, 2, 3)", "42701", `column "a" specified more than once`},
	{"insert into t (" + manyNames(40) + ", c7) values (1)", "42701", `column "c7" specified more than once`},
	{"create table t (" + strings.ReplaceAll(manyNames(40), ",", " int,") + " int, c39 text)", "42701", `column "c39" specified more than once`},
	{"update t set " + strings.ReplaceAll(manyNames(40), ",", " = 1,") + " = 1, c0 = 2", "42601", `multiple assignments to same column "c0"`},
	{"insert into t values (1) returning count(*)", "42803", `aggregate functions are not allowed in RETURNING`},

	// Text PostgreSQL cannot receive.
	{"select * from t where a = '\xff'", "22021", `invalid byte sequence for encoding "UTF8"`},
	{"select * from t where a = 'a\x00b'", "22021", `invalid byte sequence for encoding "UTF8": 0x00`},
}

// Goal: every text outside the dialect is refused, without a panic, with an
// *Error whose code is PostgreSQL's for the same text (42601, 22003, 42P16,
// 42701, 42803, 22021), or 0A000 where PostgreSQL would accept it, and whose
// message says what was found and what was expected.
// Method: table of texts with the code and a fragment of the message each
// must give; errors.As checks the type.
func TestParseInvalid(t *testing.T) {
	for _, c := range invalidCases {
		t.Run(c.in, func(t *testing.T) {
			s, err := parse(t, c.in)
			require.Error(t, err, "Parse(%q) = %#v, want an error\n%s", c.in, s, rerun(t))
			assert.Nil(t, s, "Parse(%q) returned a statement with its error\n%s", c.in, rerun(t))
			var e *Error
			require.True(t, errors.As(err, &e), "Parse(%q) error %T is not an *Error\n%s", c.in, err, rerun(t))
			assert.Equal(t, c.code, e.Code, "Parse(%q): %v\n%s", c.in, err, rerun(t))
			assert.Contains(t, e.Msg, c.msg, "Parse(%q): message\n%s", c.in, rerun(t))
		})
	}
}

// Goal: a name is folded and truncated as PostgreSQL does, so two spellings
// PostgreSQL takes for the same table are the same table here.
// Method: pairs of texts that must give equal statements.
func TestParseSameMeaning(t *testing.T) {
	long := strings.Repeat("n", 63)
	cases := []struct{ a, b string }{
		{"select * from T where ID = 1", "select * from t where id = 1"},
		{"select * from " + long + "xyz", "select * from " + long},
		{"select * from t where a = -5", "select * from t where a=-5"},
		{"select * from t where a = - 5", "select * from t where a = -5"},
		{"update t set a = a - 5", "update t set a = a + -5"},
		{"update t set a = a - -5", "update t set a = a + 5"},
		{"select * from t where a = 1 --comment", "select * from t where a = 1"},
		{"begin work", "start transaction"},
		{"end", "commit"},
		{"abort", "rollback"},
	}
	for _, c := range cases {
		t.Run(c.a, func(t *testing.T) {
			a, err := parse(t, c.a)
			require.NoError(t, err, "Parse(%q)\n%s", c.a, rerun(t))
			b, err := parse(t, c.b)
			require.NoError(t, err, "Parse(%q)\n%s", c.b, rerun(t))
			assert.Equal(t, b, a, "Parse(%q) != Parse(%q)\n%s", c.a, c.b, rerun(t))
		})
	}
}

// Goal: Params reports the highest $n wherever it appears, 0 for none and
// for statements that cannot have parameters.
// Method: table of texts with the expected count (parameters in each of
// VALUES, SET, each predicate form, out of order and repeated).
func TestParams(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"select * from t", 0},
		{"create table t (a int)", 0},
		{"begin", 0},
		{"insert into t values ($2), ($7), ($1)", 7},
		{"update t set a = $4 where b = $2", 4},
		{"update t set a = a + $5", 5},
		{"select * from t where a = $1 and b in ($3, $9) and c % 2 = $4", 9},
		{"delete from t where a % 3 = $6", 6},
		{"select * from t where a = $1 and b = $1", 1},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			s, err := parse(t, c.in)
			require.NoError(t, err, "Parse(%q)\n%s", c.in, rerun(t))
			assert.Equal(t, c.want, Params(s), "Params(Parse(%q))\n%s", c.in, rerun(t))
		})
	}
}

// Goal: a Cache parses each distinct text once and returns the same
// statement (the same pointer) or the same error afterwards, with no
// allocation on a hit; the zero Cache works.
// Method: count parses through the cache's unexported counter, compare
// pointers with assert.Same, and measure a hit with testing.AllocsPerRun.
func TestCache(t *testing.T) {
	const q = "select * from keys where key = $1 for update nowait"
	t.Run("same statement", func(t *testing.T) {
		c := NewCache()
		s1, err := c.Parse(q)
		require.NoError(t, err, "%s", rerun(t))
		s2, err := c.Parse(q)
		require.NoError(t, err, "%s", rerun(t))
		assert.Same(t, s1, s2, "second Parse returned another statement\n%s", rerun(t))
		assert.Equal(t, 1, c.parses, "texts parsed\n%s", rerun(t))
		fresh, err := Parse(q)
		require.NoError(t, err, "%s", rerun(t))
		assert.Equal(t, fresh, s1, "cached statement differs from Parse's\n%s", rerun(t))
	})
	t.Run("distinct texts", func(t *testing.T) {
		c := NewCache()
		a, _ := c.Parse("select * from a")
		b, _ := c.Parse("select * from b")
		a2, _ := c.Parse("select * from a")
		assert.NotSame(t, a, b, "%s", rerun(t))
		assert.Same(t, a, a2, "%s", rerun(t))
		assert.Equal(t, 2, c.parses, "texts parsed\n%s", rerun(t))
	})
	t.Run("errors cached", func(t *testing.T) {
		c := NewCache()
		s1, err1 := c.Parse("select * frm t")
		s2, err2 := c.Parse("select * frm t")
		assert.Nil(t, s1, "%s", rerun(t))
		assert.Nil(t, s2, "%s", rerun(t))
		require.Error(t, err1, "%s", rerun(t))
		assert.Same(t, err1, err2, "second Parse returned another error\n%s", rerun(t))
		assert.Equal(t, 1, c.parses, "texts parsed\n%s", rerun(t))
	})
	t.Run("zero cache", func(t *testing.T) {
		var c Cache
		s1, err := c.Parse(q)
		require.NoError(t, err, "%s", rerun(t))
		s2, _ := c.Parse(q)
		assert.Same(t, s1, s2, "%s", rerun(t))
	})
	t.Run("hit allocates nothing", func(t *testing.T) {
		c := NewCache()
		_, err := c.Parse(q)
		require.NoError(t, err, "%s", rerun(t))
		allocs := testing.AllocsPerRun(100, func() { _, _ = c.Parse(q) })
		assert.Zero(t, allocs, "allocations per cached Parse\n%s", rerun(t))
		assert.Equal(t, 1, c.parses, "texts parsed\n%s", rerun(t))
	})
}

// benchTexts are typical statements of a scenario.
var benchTexts = []string{
	"insert into keys (key, status) values ($1, 'started') on conflict (key) do nothing returning *",
	"select * from keys where key = $1 for update nowait",
	"update accounts set balance = balance + $1 where id = $2",
	"begin transaction isolation level repeatable read",
}

// BenchmarkParse measures parsing a typical statement from its text.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := Parse(benchTexts[i%len(benchTexts)]); err != nil {
			b.Fatalf("%v\n%s", err, rerun(b))
		}
		i++
	}
}

// BenchmarkCacheHit measures a Cache.Parse of a text already parsed.
func BenchmarkCacheHit(b *testing.B) {
	b.ReportAllocs()
	c := NewCache()
	for _, q := range benchTexts {
		if _, err := c.Parse(q); err != nil {
			b.Fatalf("%v\n%s", err, rerun(b))
		}
	}
	i := 0
	for b.Loop() {
		_, _ = c.Parse(benchTexts[i%len(benchTexts)])
		i++
	}
}
