// Package inputfile reads the files idemsim is given — fault lists,
// scenario files, SQL scripts, shard and state files, results files — whole
// and with a limit on their size, so that no input (a huge file, /dev/zero,
// a named pipe nobody writes to) makes a command run out of memory or wait
// for ever.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// TooLargeError is a file longer than the limit it was read with.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string { return "larger than the limit of " + Size(e.Limit) }

// Size prints a limit: whole mebibytes as "16 MiB", anything else in bytes.
func Size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// Read reads the whole file at path if it holds at most limit bytes. A
// longer one — or an endless one such as /dev/zero — is a *TooLargeError
// after reading one byte past the limit, never the whole of it (the bytes
// read are returned with it, for a caller that would rather say they are
// binary); a directory is refused. A named pipe is opened without waiting for a
// writer: with none, it reads as empty.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, errors.New("is a directory, not a file")
	}
	// One byte past the limit tells a file at the limit from a longer one.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return b, &TooLargeError{Limit: limit}
	}
	return b, nil
}

// ReadNamed is Read with every error naming the file: the system's errors
// do already, Read's own ("larger than the limit of 16 MiB") get the path
// in front.
func ReadNamed(path string, limit int64) ([]byte, error) {
	data, err := Read(path, limit)
	if pe := (*fs.PathError)(nil); err != nil && !errors.As(err, &pe) {
		err = fmt.Errorf("%s: %w", path, err)
	}
	return data, err
}
