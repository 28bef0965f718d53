// Package atomicfile writes files so that a reader never sees half of one
// and a failure or an interrupt leaves nothing half-written: each file is
// written under a temporary name beside it, then renamed into place.
//
// Renaming replaces whatever has the name, so the writer first looks at
// what is there: a symbolic link is followed and its target written (the
// link stays a link), a regular file is replaced and keeps its mode, and
// anything else — a directory, a device such as /dev/null, a named pipe, a
// socket — is refused with a *RefusedError before anything is written.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// File is a file to write: its path and its bytes.
type File struct {
	Path string
	Data []byte
}

// newMode is the mode of a file that did not exist: readable by all, as
// the results and the run's files are meant to be read.
const newMode fs.FileMode = 0o644

// maxLinks is how many symbolic links a path may go through, as Linux
// allows (ELOOP past 40).
const maxLinks = 40

// RefusedError is a path that exists and is not a regular file (or leads,
// through symbolic links, to something that is not one): writing by rename
// would replace it.
type RefusedError struct {
	Path   string // as given
	Target string // where its symbolic links lead, "" when it is not one
	What   string // what is there: "a directory", "a character device", ...
}

// Describe says what the path is, without naming it: "is a directory", "is
// a symbolic link to /dev/full, a character device".
func (e *RefusedError) Describe() string {
	if e.Target != "" {
		return fmt.Sprintf("is a symbolic link to %s, %s", e.Target, e.What)
	}
	return "is " + e.What
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s %s, not a regular file (accepted: a regular file, a new one, or a symbolic link to either)", e.Path, e.Describe())
}

// kind names what a file that is not a regular one is.
func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	}
	return "a file of mode " + m.String()
}

// target is where a write to a path lands: the path itself, or the end of
// its symbolic links; info is what is there (nil: nothing yet).
type target struct {
	path string
	info fs.FileInfo
}

// Resolve follows path's symbolic links and returns the file a write to
// path replaces (path itself when it is not a link; the end of a dangling
// link, which the write creates). It refuses, with a *RefusedError, a path
// that is or leads to something other than a regular file, and a loop of
// links.
func Resolve(path string) (string, error) {
	t, err := resolve(path)
	return t.path, err
}

func resolve(path string) (target, error) {
	p := path
	for links := 0; ; links++ {
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return target{path: p}, nil
		}
		if err != nil {
			return target{}, err
		}
		if info.Mode()&fs.ModeSymlink == 0 {
			if !info.Mode().IsRegular() {
				refused := &RefusedError{Path: path, What: kind(info.Mode())}
				if p != path {
					refused.Target = p
				}
				return target{}, refused
			}
			return target{path: p, info: info}, nil
		}
		if links == maxLinks {
			return target{}, &RefusedError{Path: path, What: fmt.Sprintf("a loop of symbolic links (or more than %d)", maxLinks)}
		}
		link, err := os.Readlink(p)
		if err != nil {
			return target{}, err
		}
		if !filepath.IsAbs(link) {
			// Relative to the directory the link is in, as the kernel
			// reads it: that directory's real path, so that ".." in the
			// link leaves it where the kernel would.
			dir := filepath.Dir(p)
			if real, err := filepath.EvalSymlinks(dir); err == nil {
				dir = real
			}
			link = filepath.Join(dir, link)
		}
		p = link
	}
}

// Write writes data to path atomically: a new file gets mode 0644, an
// existing one keeps its mode, a symbolic link's target is written.
func Write(path string, data []byte) error { return WriteAll(File{path, data}) }

// WriteAll writes every file under a temporary name beside it (beside the
// target of a symbolic link), then renames each into place. Any path that
// is not a regular file, a new one or a link to either is refused before
// anything is written. A failure while writing leaves none of the files
// changed and no temporary file behind; a failure while renaming leaves
// the files renamed before it whole and the rest as they were.
func WriteAll(files ...File) (err error) {
	targets := make([]target, len(files))
	for i, f := range files {
		t, err := resolve(f.Path)
		if err != nil {
			return err
		}
		targets[i] = t
	}
	temps := make([]string, 0, len(files))
	defer func() {
		for _, t := range temps {
			if t != "" {
				err = errors.Join(err, removeIfThere(t))
			}
		}
	}()
	for i, f := range files {
		t, err := writeTemp(f, targets[i])
		if err != nil {
			return err
		}
		temps = append(temps, t)
	}
	for i, f := range files {
		if err := rename(temps[i], targets[i].path); err != nil {
			return fmt.Errorf("writing %s: %w", f.Path, err)
		}
		temps[i] = ""
	}
	return nil
}

// writeTemp writes f's bytes to a new temporary file beside its target,
// with the target's mode if it exists, and returns its name; on failure it
// removes what it made.
func writeTemp(f File, to target) (string, error) {
	dir, base := filepath.Split(to.path)
	if dir == "" {
		dir = "."
	}
	t, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", f.Path, err)
	}
	_, err = t.Write(f.Data)
	mode := newMode // a temporary file is private; the result is not
	if to.info != nil {
		mode = to.info.Mode().Perm()
	}
	if err == nil {
		err = t.Chmod(mode)
	}
	if cerr := t.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", errors.Join(fmt.Errorf("writing %s: %w", f.Path, err), removeIfThere(t.Name()))
	}
	return t.Name(), nil
}

// rename is os.Rename; a test makes it fail.
var rename = os.Rename

func removeIfThere(name string) error {
	if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
