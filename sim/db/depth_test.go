package db_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
	"github.com/idemsim/idemsim/sim"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// ids are the ids of a result's rows, in order.
func ids(res *db.Result) []int64 {
	var out []int64
	for _, r := range res.Rows {
		out = append(out, r[0].Int)
	}
	return out
}

// Goal: what the parser accepts at its nesting limit the planner folds
// and the executor evaluates, to the right rows — the planner and the
// evaluator recurse over the same tree, so the parser's limit bounds their
// stacks too — and an IN list of many column references, which the
// planner turns into one comparison per element, evaluates without a tree
// as deep as the list is long (folding such a tree took time quadratic in
// its depth: 3 s for 30,000 elements, over two minutes for 300,000; now
// 0.15 s and 1.1 s). Method: statements on the Hermitage table (ids 1 and 2) whose
// WHERE is nested to sql.MaxExprDepth by each construct, and IN lists of
// 30,000 elements; each must return the rows written next to it.
func TestDeepExpressionsEvaluate(t *testing.T) {
	rerun := testcmd.Rerun(t, "./sim/db")
	const k = sql.MaxExprDepth
	wide := func(elem string) string {
		return strings.TrimSuffix(strings.Repeat(elem+", ", 30_000), ", ")
	}
	cases := []struct {
		name, where string
		want        []int64
	}{
		// An even number of minus signs is the column itself.
		{"minus-column", "id = " + strings.Repeat("- ", k-4) + "id", []int64{1, 2}},
		{"minus-integer", "id = " + strings.Repeat("- ", k) + "2", []int64{2}},
		{"not", strings.Repeat("not ", k-3) + "(id = 1)", []int64{2}},
		{"or-chain", "id = 5" + strings.Repeat(" or id = 5", k-4) + " or id = 2", []int64{2}},
		{"and-chain", "value > 0" + strings.Repeat(" and value > 0", k-3), []int64{1, 2}},
		{"plus-chain", "id" + strings.Repeat(" + 1", k-2) + " = 1000", []int64{2}},
		{"mod-chain", "value" + strings.Repeat(" % 7", k-2) + " = 3", []int64{1}},
		{"parentheses", strings.Repeat("(", k) + "id = 1" + strings.Repeat(")", k), []int64{1}},
		{"nested-in", strings.Repeat("true in (", k-2) + "true" + strings.Repeat(")", k-2), []int64{1, 2}},
		{"in-columns", "id in (" + wide("value") + ", id)", []int64{1, 2}},
		{"not-in-columns", "id not in (" + wide("value") + ")", []int64{1, 2}},
		{"in-mixed", "id in (" + wide("value") + ", 2, 3)", []int64{2}},
		{"in-constants", "id in (" + wide("7") + ", 1)", []int64{1}},
	}
	world(t, db.DefaultConfig(), func(k *sim.Kernel, d *db.DB, p *sim.Proc) {
		s := d.Connect()
		for _, c := range cases {
			q := "select id from test where " + c.where + " order by id"
			res, err := s.Exec(p, q)
			require.NoError(t, err, "%s: %.100s...\n%s", c.name, q, rerun)
			assert.Equal(t, c.want, ids(res), "%s\n%s", c.name, rerun)
		}
		// Past the limit, the statement fails with 54001 and the session
		// goes on.
		_, err := s.Exec(p, "select id from test where "+strings.Repeat("(", 100_000)+"id = 1"+strings.Repeat(")", 100_000))
		assert.Equal(t, sql.CodeStackDepthExceeded, code(err), "%v\n%s", err, rerun)
		res := query(t, p, s, "select id from test where id = "+strconv.Itoa(1))
		assert.Equal(t, []int64{1}, ids(res), rerun)
	})
}
