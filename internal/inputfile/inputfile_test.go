package inputfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/idemsim/idemsim/internal/inputfile"
	"github.com/idemsim/idemsim/internal/testcmd"
)

// Goal: a file is read whole up to its limit and refused past it, without
// reading more than a byte past the limit of something endless; a
// directory is refused, a missing file is the system's error, and a named
// pipe nobody writes to reads as empty instead of blocking. Method: files
// of the limit and one byte more, /dev/zero, a directory, a missing name
// and a FIFO, each read with a 1 KiB limit.
func TestRead(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/inputfile")
	const limit = 1024
	dir := t.TempDir()
	at, over := filepath.Join(dir, "at"), filepath.Join(dir, "over")
	require.NoError(t, os.WriteFile(at, []byte(strings.Repeat("a", limit)), 0o644), rerun)
	require.NoError(t, os.WriteFile(over, []byte(strings.Repeat("a", limit+1)), 0o644), rerun)
	fifo := filepath.Join(dir, "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644), rerun)
	for _, c := range []struct {
		name, path string
		size       int    // bytes read, when no error
		err        string // the error's text, "" for none
	}{
		{"at-the-limit", at, limit, ""},
		{"one-byte-over", over, 0, "larger than the limit of 1024 bytes"},
		{"endless", "/dev/zero", 0, "larger than the limit of 1024 bytes"},
		{"directory", dir, 0, "is a directory, not a file"},
		{"missing", filepath.Join(dir, "none"), 0, "no such file or directory"},
		{"fifo-without-writer", fifo, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, err := inputfile.Read(c.path, limit)
			if c.err == "" {
				require.NoError(t, err, rerun)
				assert.Len(t, b, c.size, rerun)
				return
			}
			require.Error(t, err, rerun)
			assert.Contains(t, err.Error(), c.err, rerun)
			var tl *inputfile.TooLargeError
			assert.Equal(t, strings.Contains(c.err, "larger"), errors.As(err, &tl), "a size refusal is a *TooLargeError; %s", rerun)
		})
	}
}

// Goal: limits print as people write them. Method: a few sizes.
func TestSize(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/inputfile")
	assert.Equal(t, "16 MiB", inputfile.Size(16<<20), rerun)
	assert.Equal(t, "1024 bytes", inputfile.Size(1024), rerun)
	assert.Equal(t, "1048577 bytes", inputfile.Size(1<<20+1), rerun)
}

// Goal: ReadNamed's errors always name the file, once. Method: a refusal
// of Read's own (a directory) and a system error (a missing file).
func TestReadNamed(t *testing.T) {
	rerun := testcmd.Rerun(t, "./internal/inputfile")
	dir := t.TempDir()
	_, err := inputfile.ReadNamed(dir, 1024)
	assert.EqualError(t, err, dir+": is a directory, not a file", rerun)
	missing := filepath.Join(dir, "none")
	_, err = inputfile.ReadNamed(missing, 1024)
	require.Error(t, err, rerun)
	assert.Equal(t, 1, strings.Count(err.Error(), missing), "named once: %v; %s", err, rerun)
}
