// Package atomicfile writes files so that a reader never sees half of one
// and a failure or an interrupt leaves nothing half-written: each file is
// written under a temporary name in its own directory, then renamed into
// place.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// File is a file to write: its path and its bytes.
type File struct {
	Path string
	Data []byte
}

// Write writes data to path atomically (mode 0644).
func Write(path string, data []byte) error { return WriteAll(File{path, data}) }

// WriteAll writes every file under a temporary name beside it, then renames
// each into place: a failure while writing leaves none of them changed and
// no temporary file behind; a failure while renaming leaves the files
// renamed before it whole and the rest as they were.
func WriteAll(files ...File) (err error) {
	temps := make([]string, 0, len(files))
	defer func() {
		for _, t := range temps {
			if t != "" {
				err = errors.Join(err, removeIfThere(t))
			}
		}
	}()
	for _, f := range files {
		t, err := writeTemp(f)
		if err != nil {
			return err
		}
		temps = append(temps, t)
	}
	for i, f := range files {
		if err := os.Rename(temps[i], f.Path); err != nil {
			return err
		}
		temps[i] = ""
	}
	return nil
}

// writeTemp writes f's bytes to a new temporary file beside f.Path and
// returns its name; on failure it removes what it made.
func writeTemp(f File) (string, error) {
	dir, base := filepath.Split(f.Path)
	if dir == "" {
		dir = "."
	}
	t, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Path, err)
	}
	_, err = t.Write(f.Data)
	if err == nil {
		err = t.Chmod(0o644) // a temporary file is private; the result is not
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", errors.Join(fmt.Errorf("writing %s: %w", f.Path, err), removeIfThere(t.Name()))
	}
	return t.Name(), nil
}

func removeIfThere(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
