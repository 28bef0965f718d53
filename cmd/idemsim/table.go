package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/claims"
	"github.com/idemsim/idemsim/models"
	"github.com/idemsim/idemsim/sim/world"
)

// tableCommand prints the README's table of strategies against the
// standard edge cases, each cell measured by running the case.
func tableCommand(stdout io.Writer) error {
	text, err := edgeTable()
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, text)
	return err
}

// edgeTable is the table as markdown: each strategy with its default
// switches at the default isolation level, in each edge case.
func edgeTable() (string, error) {
	cases := claims.EdgeCases()
	var b strings.Builder
	b.WriteString("| strategy |")
	for i := range cases {
		fmt.Fprintf(&b, " %c |", 'A'+i)
	}
	b.WriteString("\n|---|")
	b.WriteString(strings.Repeat("---|", len(cases)))
	b.WriteString("\n")
	for _, s := range models.All() {
		fmt.Fprintf(&b, "| `%s` |", s.Name)
		for _, c := range cases {
			cell, err := edgeCell(s.Name, c)
			if err != nil {
				return "", fmt.Errorf("idemsim table: %s, %s: %w", s.Name, c.Name, err)
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for i, c := range cases {
		fmt.Fprintf(&b, "- **%c, %s**: %s (`%s`).\n", 'A'+i, c.Name, c.About, strings.Join(quoteArgs(c.Args), " "))
	}
	b.WriteString("\nA cell is what the run showed: `ok` (no violation), or the violations it found — `DUP`licate, `LOST`, `STUCK`, `WRONG` answer; `n/a` where the case does not apply (the strategy names no such crash point). Every run starts from `" +
		strings.Join(claims.EdgeWorld(), " ") + "`; `idemsim run --strategy S` with those flags and the case's replays it with `--trace`.\n")
	return b.String(), nil
}

// edgeCell runs one strategy in one edge case.
func edgeCell(strategy string, c claims.EdgeCase) (string, error) {
	fs := runFlags(&world.Config{}, &runOptions{})
	args := overlay(fs, overlay(fs, claims.EdgeWorld(), c.Args), []string{"--strategy", strategy, "--violations", "0"})
	st, err := configure(args)
	if err != nil {
		if strings.Contains(err.Error(), "names no point") {
			return "n/a", nil
		}
		return "", err
	}
	res, err := world.Run(st.cfg)
	if err != nil {
		return "", err
	}
	rep := check.Audit(res)
	var parts []string
	for _, k := range check.Kinds {
		if rep.Counts[k] > 0 {
			parts = append(parts, map[check.Kind]string{check.Duplicate: "DUP", check.Lost: "LOST", check.Stuck: "STUCK", check.WrongAnswer: "WRONG"}[k])
		}
	}
	if len(parts) == 0 {
		return "ok", nil
	}
	return strings.Join(parts, "+"), nil
}

// quoteArgs quotes the arguments a shell would split.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return out
}
