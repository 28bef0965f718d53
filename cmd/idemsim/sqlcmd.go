package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/idemsim/idemsim/sim/db/script"
)

// sqlCommand runs an interleaved multi-session script on the simulated
// database and prints one line per statement, as tools/pgscript prints the
// same script on a real PostgreSQL.
func sqlCommand(args []string, stdout io.Writer) error {
	fs := &flagSet{cmd: "sql"}
	var level string
	var seed uint64 = 1
	var help bool
	fs.add("level", "LEVEL", "the level to substitute for {level}: "+strings.Join(script.Levels, ", ")+" (default: every level the script declares)", oneOf(&level, script.Levels...))
	fs.add("seed", "N", "seed of the run's choices (default 1)", uint64Value(&seed))
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
	text, err := os.ReadFile(rest[0])
	if err != nil {
		return fmt.Errorf("idemsim sql: %w", err)
	}
	sc, err := script.Parse(rest[0], string(text))
	if err != nil {
		return usagef("idemsim sql: %v", err)
	}
	levels := sc.Levels
	if level != "" {
		levels = []string{level}
	}
	if len(levels) == 0 {
		levels = []string{""}
	}
	opts := script.DefaultOptions()
	opts.Seed = seed
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
	_, err = io.WriteString(stdout, b.String())
	return err
}
