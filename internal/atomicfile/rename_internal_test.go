package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: a failure while renaming (after every file was written under its
// temporary name) leaves the files renamed before it whole, the rest as
// they were, and no temporary file. Method: a rename that fails for the
// second of three files.
func TestWriteAllFailsRenaming(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/atomicfile")
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b"), filepath.Join(dir, "c")}
	for _, p := range paths {
		require.NoError(t, os.WriteFile(p, []byte("old"), 0o644), rerun)
	}
	defer func(r func(string, string) error) { rename = r }(rename)
	rename = func(from, to string) error {
		if to == paths[1] {
			return errors.New("injected")
		}
		return os.Rename(from, to)
	}
	var files []File
	for _, p := range paths {
		files = append(files, File{p, []byte("new")})
	}
	err := WriteAll(files...)
	require.ErrorContains(t, err, "writing "+paths[1]+": injected", rerun)
	for i, want := range []string{"new", "old", "old"} {
		got, err := os.ReadFile(paths[i])
		require.NoError(t, err, rerun)
		assert.Equal(t, want, string(got), "%s; %s", paths[i], rerun)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err, rerun)
	for _, e := range entries {
		assert.False(t, strings.Contains(e.Name(), ".tmp-"), "temporary file %s left; %s", e.Name(), rerun)
	}
}
