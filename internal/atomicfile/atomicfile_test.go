package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: files land whole and readable (0644); a write that fails part-way
// (one target in a directory that does not exist) changes none of them and
// leaves no temporary file.
func TestWriteAll(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/atomicfile")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	require.NoError(t, os.WriteFile(a, []byte("old"), 0o644), rerun)
	require.NoError(t, atomicfile.WriteAll(atomicfile.File{Path: a, Data: []byte("new a")}, atomicfile.File{Path: b, Data: []byte("new b")}), rerun)
	for path, want := range map[string]string{a: "new a", b: "new b"} {
		got, err := os.ReadFile(path)
		require.NoError(t, err, rerun)
		assert.Equal(t, want, string(got), rerun)
		st, err := os.Stat(path)
		require.NoError(t, err, rerun)
		assert.Equal(t, os.FileMode(0o644), st.Mode().Perm(), rerun)
	}
	err := atomicfile.WriteAll(atomicfile.File{Path: a, Data: []byte("newer")}, atomicfile.File{Path: filepath.Join(dir, "no", "c.txt"), Data: []byte("c")})
	require.Error(t, err, rerun)
	got, _ := os.ReadFile(a)
	assert.Equal(t, "new a", string(got), "a failure while writing changes nothing; "+rerun)
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 2, "no temporary file is left; "+rerun)
}
