package sql

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// treeDepth is the depth of e's tree: 1 for a leaf.
func treeDepth(e *Expr) int {
	d := 0
	for i := range e.Args {
		d = max(d, treeDepth(&e.Args[i]))
	}
	return d + 1
}

// nestings are the ways an expression nests, each as the text of a WHERE
// clause nested k levels deep by that construct's own measure: the depth
// of the tree it parses into, or how many nested expressions the parser
// goes through to read it.
var nestings = []struct {
	name string
	expr func(k int) string
}{
	// k parentheses: no node of their own, but k levels of the parser.
	{"parentheses", func(k int) string { return strings.Repeat("(", k) + "id" + strings.Repeat(")", k) }},
	// k-1 minus signs over a column: k levels of tree.
	{"minus-column", func(k int) string { return strings.Repeat("- ", k-1) + "id" }},
	// k+1 minus signs over an integer fold into a constant, through k
	// levels of the parser (the last sign is the literal's own).
	{"minus-integer", func(k int) string { return strings.Repeat("- ", k+1) + "5" }},
	{"not", func(k int) string { return strings.Repeat("not ", k-1) + "true" }},
	// id = 1 is 2 levels deep; each OR (AND, +, %, IS NULL) adds one.
	{"or-chain", func(k int) string { return "id = 1" + strings.Repeat(" or id = 1", k-2) }},
	{"and-chain", func(k int) string { return "id = 1" + strings.Repeat(" and id = 1", k-2) }},
	{"plus-chain", func(k int) string { return "id" + strings.Repeat(" + 1", k-1) }},
	{"mod-chain", func(k int) string { return "id" + strings.Repeat(" % 7", k-1) }},
	{"is-null-chain", func(k int) string { return "id" + strings.Repeat(" is null", k-1) }},
	// k-1 nested IN lists: k levels of tree, k-1 of the parser.
	{"nested-in", func(k int) string {
		return strings.Repeat("id in (", k-1) + "1" + strings.Repeat(")", k-1)
	}},
	// Chains inside parentheses: the tree is as deep as the chains add up.
	{"chains-in-parentheses", func(k int) string {
		half := k / 2
		return "(" + "id" + strings.Repeat(" + 1", half-1) + ")" + strings.Repeat(" + 1", k-half)
	}},
}

// requireTooDeep checks that err is the 54001 of an expression nested
// past MaxExprDepth.
func requireTooDeep(t *testing.T, err error, what string) {
	t.Helper()
	var e *Error
	require.True(t, errors.As(err, &e), "%s: want a 54001 *Error, got %v\n%s", what, err, rerun(t))
	assert.Equal(t, CodeStackDepthExceeded, e.Code, "%s: %v\n%s", what, err, rerun(t))
	assert.Contains(t, e.Msg, "stack depth limit exceeded", "%s\n%s", what, rerun(t))
	assert.Contains(t, e.Msg, strconv.Itoa(MaxExprDepth), "the message names the limit; %s\n%s", what, rerun(t))
}

// Goal: an expression parses as deep as MaxExprDepth and no deeper, by
// every way an expression nests, and what is deeper is refused with
// PostgreSQL's 54001 — never by overflowing the goroutine stack, however
// deep it goes (100,000 and 1,000,000 levels were once a fatal stack
// overflow, past a gigabyte of stack). Method: each construct of
// nestings at MaxExprDepth (parses, with a tree no deeper), one level
// more (54001), and 100,000 levels (54001; a stack overflow would crash
// the test binary).
func TestExpressionDepthLimit(t *testing.T) {
	for _, c := range nestings {
		t.Run(c.name, func(t *testing.T) {
			at := "select * from t where " + c.expr(MaxExprDepth)
			s, err := Parse(at)
			require.NoError(t, err, "at the limit: %.80s...\n%s", at, rerun(t))
			where := s.(*Select).Where
			assert.LessOrEqual(t, treeDepth(where), MaxExprDepth, rerun(t))

			_, err = Parse("select * from t where " + c.expr(MaxExprDepth+1))
			requireTooDeep(t, err, "one level past the limit")

			_, err = Parse("select * from t where " + c.expr(100_000))
			requireTooDeep(t, err, "100,000 levels")
		})
	}
}

// Goal: the limit holds wherever an expression stands — VALUES, SET, ON
// CONFLICT's SET and WHERE, LIMIT, a DEFAULT — and a million minus
// signs, the input that once overflowed the stack, is refused as quickly.
// Method: a statement of each kind with an expression one level past
// the limit, and one at the limit that must parse.
func TestExpressionDepthEverywhere(t *testing.T) {
	deep := func(k int) string { return strings.Repeat("(", k) + "1" + strings.Repeat(")", k) }
	for _, c := range []struct {
		name, text string
		around     int // the levels the text puts around %s
	}{
		{"values", "insert into t (id) values (%s)", 0},
		{"update-set", "update t set v = %s", 0},
		{"update-where", "update t set v = 1 where id = %s", 0},
		{"delete-where", "delete from t where id = %s", 0},
		{"on-conflict-set", "insert into t (id) values (1) on conflict (id) do update set v = %s", 0},
		{"on-conflict-where", "insert into t (id) values (1) on conflict (id) do update set v = 1 where v = %s", 0},
		{"limit", "select * from t limit %s", 0},
		{"in-list", "select * from t where id in (1, %s)", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.Replace(c.text, "%s", deep(MaxExprDepth-c.around), 1))
			require.NoError(t, err, rerun(t))
			_, err = Parse(strings.Replace(c.text, "%s", deep(MaxExprDepth-c.around+1), 1))
			requireTooDeep(t, err, c.name)
		})
	}
	t.Run("default", func(t *testing.T) {
		_, err := Parse("create table t (id int default " + strings.Repeat("- ", MaxExprDepth+1) + "5)")
		require.NoError(t, err, rerun(t))
		_, err = Parse("create table t (id int default " + strings.Repeat("- ", MaxExprDepth+2) + "5)")
		requireTooDeep(t, err, "default")
	})
	t.Run("a-million-minus-signs", func(t *testing.T) {
		_, err := Parse("select * from t where id = " + strings.Repeat("- ", 1_000_000) + "id")
		requireTooDeep(t, err, "a million minus signs")
	})
}
