package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/idemsim/idemsim/sim/db/script"
)

func TestOutputName(t *testing.T) {
	for _, tc := range []struct{ path, level, want string }{
		{"d/g0.sql", "read committed", "d/g0.read-committed.pg15"},
		{"d/g0.sql", "read uncommitted", "d/g0.read-uncommitted.pg15"},
		{"d/err-syntax.sql", "", "d/err-syntax.pg15"},
	} {
		if got := OutputName(tc.path, tc.level); got != tc.want {
			t.Errorf("OutputName(%q, %q) = %q, want %q", tc.path, tc.level, got, tc.want)
		}
	}
}

// Every committed script parses, and each one that declares levels uses
// {level} in its begin lines.
func TestCommittedScriptsParse(t *testing.T) {
	paths, _ := filepath.Glob("../../sim/db/testdata/scripts/*.sql")
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s, err := script.Parse(p, string(src))
		if err != nil {
			t.Error(err)
			continue
		}
		if len(s.Levels) > 0 && !s.UsesLevel() {
			t.Errorf("%s declares levels but never uses {level}", p)
		}
		for _, l := range s.Runs() {
			if _, err := os.Stat(OutputName(p, l)); err != nil {
				t.Errorf("%s: no expected output for level %q: %v", p, l, err)
			}
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-dsn", "x"},
		{"-dsn", "x", "-level", "snapshot", "f.sql"},
		{"-dsn", "x", "-write", "d", "f.sql"},
		{"f.sql"},
		{"-bogus"},
	} {
		err := run(t.Context(), args, nil, nil)
		if _, ok := err.(usageError); !ok {
			t.Errorf("run(%q) = %v, want a usage error", args, err)
		}
	}
}
