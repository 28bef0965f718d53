package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode/utf8"

	"github.com/idemsim/idemsim/internal/inputfile"
	"github.com/idemsim/idemsim/sim/db"
	"github.com/idemsim/idemsim/sim/db/script"
	"github.com/idemsim/idemsim/sim/db/sql"
)

// maxScriptBytes bounds the input of idemsim sql. A script is a few
// hundred lines; anything near this size is a mistake (or /dev/zero), and
// is refused before it can take the memory it would need. The costliest
// script of this size (one IN list of a million constants) peaks near
// 800 MB; 2 MiB still holds a million unary minus signs, which must fail
// with 54001 rather than be refused for their size.
const maxScriptBytes = 2 << 20

// sqlCommand runs an interleaved multi-session script on the simulated
// database and prints one line per statement, as tools/pgscript prints the
// same script on a real PostgreSQL.
func sqlCommand(args []string, stdout io.Writer) error {
	fs := &flagSet{cmd: "sql"}
	var level string
	var seed uint64 = 1
	var help bool
	names := strings.Join(sql.LevelNames(), ", ")
	fs.add("level", "LEVEL", "the level to run at, "+names+" (or as SQL spells it: 'read committed'; default: every level the script declares)", levelValue(&level))
	fs.add("seed", "N", "seed of the run's choices (default 1)", uint64Value(&seed))
	ssiLocks := db.SSIPages
	fs.add("ssi-locks", "page|key", "what a serializable transaction's read locks cover: page, as PostgreSQL (B-tree leaf pages, heap tuples promoted to pages and tables, tables for table scans), or key (the keys an index lookup looks up); default page", store(readSSILocks, &ssiLocks))
	fs.add("help", "", "this text", boolValue(&help))
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if help {
		_, err := fmt.Fprintf(stdout, "usage: idemsim sql [flags] FILE\n\n%s", fs.usage())
		return err
	}
	if len(rest) != 1 {
		return usagef("idemsim sql: want one script FILE, got %d arguments", len(rest))
	}
	text, err := readScript(rest[0])
	if err != nil {
		return err
	}
	opts := script.DefaultOptions()
	opts.Seed = seed
	opts.DB.SSILocks = ssiLocks
	opts.Messages = true
	out, err := runScript(rest[0], text, level, opts)
	if err != nil {
		return usagef("idemsim sql: %v", err)
	}
	_, err = io.WriteString(stdout, out)
	return err
}

// runScript runs a script at level, or at every level it declares, and
// returns what it printed, a "# level:" line before each level's lines when
// there are several.
func runScript(name, text, level string, opts script.Options) (string, error) {
	sc, err := script.Parse(name, text)
	if err != nil {
		return "", err
	}
	levels := sc.Levels
	if level != "" {
		levels = []string{level}
	}
	if len(levels) == 0 {
		levels = []string{""}
	}
	var b strings.Builder
	for _, l := range levels {
		if len(levels) > 1 {
			fmt.Fprintf(&b, "# level: %s\n", l)
		}
		for _, line := range script.Run(sc, l, opts) {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return b.String(), nil
}

// readSSILocks reads a SIREAD lock granularity by name.
func readSSILocks(s string) (db.SSIGranularity, error) {
	g, ok := db.ParseSSIGranularity(s)
	if !ok {
		return 0, fmt.Errorf("%q (accepted: %s)", s, strings.Join(db.SSIGranularityNames(), ", "))
	}
	return g, nil
}

// levelValue accepts any level sql.ParseLevel reads, in either spelling,
// and keeps the spelling given (it heads the output).
func levelValue(dst *string) func(string) error {
	return func(s string) error {
		if _, ok := sql.ParseLevel(s); !ok {
			return fmt.Errorf("%q (accepted: %s)", s, strings.Join(sql.LevelNames(), ", "))
		}
		*dst = s
		return nil
	}
}

// readScript reads a script file: at most maxScriptBytes of UTF-8 text.
// Every way it can fail is a usage error (exit 2) naming the file: a file
// that cannot be opened or read, one that is too large, and one that is
// binary — with a NUL byte or bytes that are not UTF-8 — at the offset of
// the first bad byte.
func readScript(path string) (string, error) {
	data, err := inputfile.Read(path, maxScriptBytes)
	var tooLarge *inputfile.TooLargeError
	if err != nil && !errors.As(err, &tooLarge) {
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) { // it names the file
			return "", usagef("idemsim sql: %v", err)
		}
		return "", usagef("idemsim sql: reading %s: %v", path, err)
	}
	if off := bytes.IndexByte(data, 0); off >= 0 {
		return "", usagef("idemsim sql: %s is binary, not a SQL script: a NUL byte at byte offset %d", path, off)
	}
	if tooLarge != nil {
		return "", usagef("idemsim sql: %s is larger than %d MiB, the most a script may be", path, maxScriptBytes>>20)
	}
	if off := invalidUTF8(data); off >= 0 {
		return "", usagef("idemsim sql: %s is binary, not a SQL script: invalid UTF-8 at byte offset %d", path, off)
	}
	return string(data), nil
}

// invalidUTF8 is the offset of the first byte of data that does not start
// a valid UTF-8 sequence, or -1.
func invalidUTF8(data []byte) int {
	for off := 0; off < len(data); {
		if data[off] < utf8.RuneSelf {
			off++
			continue
		}
		r, n := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && n <= 1 {
			return off
		}
		off += n
	}
	return -1
}
