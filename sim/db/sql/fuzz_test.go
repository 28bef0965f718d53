package sql

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fuzzSeeds are every text of the table tests, valid and invalid, and
// mutations of the valid ones: cut short, doubled, upper-cased, with
// comments and newlines between tokens, with numbers out of range, with a
// quote lost, with operators run together; and expressions nested to the
// limit and one level past it.
func fuzzSeeds() []string {
	var seeds []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			seeds = append(seeds, s)
		}
	}
	var valid []string
	for _, c := range formCases {
		valid = append(valid, c.in)
	}
	for _, c := range projectCases {
		valid = append(valid, c.in)
	}
	for _, s := range valid {
		add(s)
	}
	for _, c := range invalidCases {
		add(c.in)
	}
	for _, s := range valid {
		add(strings.ToUpper(s))
		add(s[:len(s)/2])
		add(strings.TrimSuffix(s, ";") + "; " + s)
		add(strings.ReplaceAll(s, " ", "\n-- c\n"))
		add(strings.ReplaceAll(s, " ", ""))
		add(strings.Replace(s, "1", "99999999999999999999", 1))
		add(strings.Replace(s, "'", "", 1))
		add(strings.Replace(s, "= ", "=-", 1))
		add(strings.Replace(s, "$1", "$0", 1))
	}
	// Expressions at the nesting limit and one level past it.
	for _, c := range nestings {
		add("select * from t where " + c.expr(MaxExprDepth))
		add("select * from t where " + c.expr(MaxExprDepth+1))
	}
	return seeds
}

// knownCodes are the codes Parse may report.
var knownCodes = map[string]bool{
	CodeSyntaxError: true, codeFeatureNotSupported: true, CodeNumericOutOfRange: true,
	codeInvalidTableDef: true, codeDuplicateColumn: true, codeGroupingError: true,
	codeCharacterNotInRepertoire: true, CodeUndefinedColumn: true, CodeInvalidText: true,
	CodeInvalidDatetimeFormat: true, CodeDatetimeOverflow: true, CodeIntervalFieldOverflow: true,
	codeInvalidParameterValue: true, CodeStackDepthExceeded: true,
}

// Goal: Parse never panics, is deterministic, and keeps its contract on any
// text: an error is an *Error with a known code and a message and no
// statement; a statement has parameters in range, means the same with
// white space around it, and is what a Cache returns for the same text.
// Method: fuzzing, seeded with every text of the table tests and mutations
// of the valid ones (fuzzSeeds) and with testdata/fuzz/FuzzParse; each
// input is parsed twice and compared with assert.Equal.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s1, err1 := Parse(text) // a panic fails the target by itself
		s2, err2 := Parse(text)
		require.Equal(t, err1, err2, "Parse(%q) twice: different errors\n%s", text, rerun(t))
		require.Equal(t, s1, s2, "Parse(%q) twice: different statements\n%s", text, rerun(t))
		if err1 != nil {
			var e *Error
			require.True(t, errors.As(err1, &e), "Parse(%q) error %T is not an *Error\n%s", text, err1, rerun(t))
			assert.True(t, knownCodes[e.Code], "Parse(%q): unknown code in %v\n%s", text, err1, rerun(t))
			assert.NotEmpty(t, e.Msg, "Parse(%q): empty message\n%s", text, rerun(t))
			assert.Nil(t, s1, "Parse(%q): a statement with an error\n%s", text, rerun(t))
			return
		}
		require.NotNil(t, s1, "Parse(%q): neither statement nor error\n%s", text, rerun(t))
		n := Params(s1)
		assert.True(t, 0 <= n && n <= maxParam, "Params(Parse(%q)) = %d\n%s", text, n, rerun(t))
		padded := "\n " + text + "\n"
		s3, err := Parse(padded)
		require.NoError(t, err, "Parse(%q) parsed but Parse(%q) did not\n%s", text, padded, rerun(t))
		assert.Equal(t, s1, s3, "white space around %q changed its meaning\n%s", text, rerun(t))
		c := NewCache()
		s4, err := c.Parse(text)
		require.NoError(t, err, "Cache.Parse(%q)\n%s", text, rerun(t))
		assert.Equal(t, s1, s4, "Cache.Parse(%q) != Parse\n%s", text, rerun(t))
	})
}

// Goal: the seed corpus in testdata/fuzz/FuzzParse holds every seed, so
// that the corpus kept in the repository covers the table tests.
// Method: with IDEMSIM_WRITE_FUZZ_CORPUS=1, write each seed of fuzzSeeds
// to a file named by its hash (a no-op for seeds already there); skipped
// otherwise.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("IDEMSIM_WRITE_FUZZ_CORPUS") == "" {
		t.Skip("set IDEMSIM_WRITE_FUZZ_CORPUS=1 to write the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	require.NoError(t, os.MkdirAll(dir, 0o755), "%s", rerun(t))
	for _, s := range fuzzSeeds() {
		sum := sha256.Sum256([]byte(s))
		name := filepath.Join(dir, "seed-"+hex.EncodeToString(sum[:8]))
		data := "go test fuzz v1\nstring(" + strconv.Quote(s) + ")\n"
		require.NoError(t, os.WriteFile(name, []byte(data), 0o644), "%s", rerun(t))
	}
}
