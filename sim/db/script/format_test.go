package script

import (
	"testing"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// failf reports a failure with the command that reruns the test.
func failf(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Errorf(format+"\n%s", append(args, testcmd.Rerun(t, "./sim/db/script"))...)
}

// Goal: results print exactly as the output format says. Method: one Result
// per rule of sim/db/testdata/scripts/README.md.

func vals(vs ...any) []*string {
	out := make([]*string, len(vs))
	for i, v := range vs {
		if s, ok := v.(string); ok {
			out[i] = &s
		}
	}
	return out
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		name, stmt string
		r          Result
		want       string
	}{
		{"error", "selec", Result{Code: "42601"}, "error 42601"},
		{"error wins over rows", "select 1", Result{Code: "40001", HasRows: true}, "error 40001"},
		{"no rows", "select * from t", Result{HasRows: true, Tag: "SELECT 0"}, "rows"},
		{"count", "select count(*) from t", Result{HasRows: true, Rows: [][]*string{vals("2")}, Tag: "SELECT 1"}, "rows (2)"},
		{"null", "select * from t", Result{HasRows: true, Rows: [][]*string{vals("k", "started", nil)}}, "rows (k,started,NULL)"},
		{"returning", "insert into t values (1) returning *", Result{HasRows: true, Rows: [][]*string{vals("1")}, Tag: "INSERT 0 1"}, "rows (1)"},
		{"returning nothing", "insert into t values (1) on conflict do nothing returning *", Result{HasRows: true, Tag: "INSERT 0 0"}, "rows"},
		{"insert", "insert into t values (1), (2)", Result{Tag: "INSERT 0 2"}, "ok 2"},
		{"update", "update t set v = 1", Result{Tag: "UPDATE 0"}, "ok 0"},
		{"delete", "delete from t", Result{Tag: "DELETE 3"}, "ok 3"},
		{"begin", "begin transaction isolation level serializable", Result{Tag: "BEGIN"}, "ok"},
		{"start", "start transaction", Result{Tag: "START TRANSACTION"}, "ok"},
		{"set", "set transaction isolation level serializable", Result{Tag: "SET"}, "ok"},
		{"create", "create table t (id int)", Result{Tag: "CREATE TABLE"}, "ok"},
		{"drop", "drop table t", Result{Tag: "DROP TABLE"}, "ok"},
		{"commit", "commit", Result{Tag: "COMMIT"}, "ok"},
		{"commit of a failed transaction", "commit", Result{Tag: "ROLLBACK"}, "rolled back"},
		{"end of a failed transaction", "end", Result{Tag: "ROLLBACK"}, "rolled back"},
		{"rollback", "rollback", Result{Tag: "ROLLBACK"}, "ok"},
		{"abort", "abort", Result{Tag: "ROLLBACK"}, "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Format(tc.stmt, tc.r); got != tc.want {
				failf(t, "Format(%q, %+v) = %q, want %q", tc.stmt, tc.r, got, tc.want)
			}
		})
	}
}

func TestSortRows(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows [][]*string
		want string
	}{
		{"integers numerically", [][]*string{vals("10", "a"), vals("9", "b"), vals("-1", "c")},
			"rows (-1,c) (9,b) (10,a)"},
		{"then by the next column", [][]*string{vals("1", "b"), vals("1", "a"), vals("0", "z")},
			"rows (0,z) (1,a) (1,b)"},
		{"text bytewise", [][]*string{vals("b"), vals("B"), vals("a"), vals("")},
			"rows () (B) (a) (b)"},
		{"a column with one non-integer is text", [][]*string{vals("10"), vals("9"), vals("x")},
			"rows (10) (9) (x)"},
		{"NULL last, and ignored when deciding numeric", [][]*string{vals(nil, "x"), vals("10", "y"), vals("9", "z")},
			"rows (9,z) (10,y) (NULL,x)"},
		{"NULL last in text", [][]*string{vals("k", nil), vals("k", "done"), vals("j", nil)},
			"rows (j,NULL) (k,done) (k,NULL)"},
		{"numbers wider than int32", [][]*string{vals("3000000000"), vals("-3000000000"), vals("2")},
			"rows (-3000000000) (2) (3000000000)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatRows(tc.rows); got != tc.want {
				failf(t, "got %q, want %q", got, tc.want)
			}
		})
	}
}
