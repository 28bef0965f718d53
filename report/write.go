package report

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

// WriteFiles writes every file under a temporary name in its own
// directory, then renames each into place: a failure while writing leaves
// none of them changed and no temporary file behind; a failure while
// renaming leaves the files renamed before it whole and the rest as they
// were.
func WriteFiles(files ...File) (err error) {
	temps := make([]string, 0, len(files))
	defer func() {
		for _, t := range temps {
			if t != "" {
				if rerr := os.Remove(t); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
					err = errors.Join(err, fmt.Errorf("report: %w", rerr))
				}
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
			return fmt.Errorf("report: %w", err)
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
		return "", fmt.Errorf("report: writing %s: %w", f.Path, err)
	}
	_, err = t.Write(f.Data)
	if err == nil {
		err = t.Chmod(0o644)
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(t.Name())
		return "", fmt.Errorf("report: writing %s: %w", f.Path, err)
	}
	return t.Name(), nil
}
