package diagram

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// Write draws res as a sequence diagram (restricted to op's events when op
// is set) and writes it as SVG to svgPath and as PNG to pngPath; an empty
// path is skipped. Both pictures are rendered before either file is
// touched, and each file is written under a temporary name in its own
// directory and then renamed, so a failure leaves no half-written file and
// no temporary one behind.
func Write(res *world.Result, rep check.Report, op *api.OpID, svgPath, pngPath string) error {
	d, err := New(res, rep, Options{Op: op})
	if err != nil {
		return err
	}
	var files []file
	if svgPath != "" {
		b, err := d.SVG()
		if err != nil {
			return fmt.Errorf("diagram: svg: %w", err)
		}
		files = append(files, file{svgPath, b})
	}
	if pngPath != "" {
		b, err := d.PNG()
		if err != nil {
			return fmt.Errorf("diagram: png: %w", err)
		}
		files = append(files, file{pngPath, b})
	}
	return writeFiles(files)
}

type file struct {
	path string
	data []byte
}

// writeFiles writes every file to a temporary name beside it, then renames
// each into place. If a temporary file cannot be written, none is renamed;
// if a rename fails, the files renamed before it stay written (each whole).
func writeFiles(files []file) (err error) {
	var temps []string
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
		if err := os.Rename(temps[i], f.path); err != nil {
			return fmt.Errorf("diagram: %w", err)
		}
		temps[i] = ""
	}
	return nil
}

// writeTemp writes f's data to a new temporary file in f's directory and
// returns its name; on failure it removes what it created.
func writeTemp(f file) (string, error) {
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	t, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("diagram: %w", err)
	}
	_, err = t.Write(f.data)
	if err == nil {
		err = t.Chmod(0o644)
	}
	if err == nil {
		err = t.Sync()
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", errors.Join(fmt.Errorf("diagram: writing %s: %w", f.path, err), removeIfThere(t.Name()))
	}
	return t.Name(), nil
}

func removeIfThere(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("diagram: removing %s: %w", name, err)
	}
	return nil
}
