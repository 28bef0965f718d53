package cli

import (
	"fmt"
	"io"

	"github.com/idemsim/idemsim/explore"
)

// addTieFlags adds explore's flag for the order of same-instant events.
func addTieFlags(fs *flagSet, o *exploreOptions) {
	fs.add("ties", "MODE", "how to explore the order of events due at one instant: dpor (one order per class of equivalent orders: partial-order reduction), all (every order: the naive enumeration) or none (the kernel's order) (default none: with the database one resource, DPOR explodes where a paused server thaws; docs/explore.md)", store(explore.ParseTieMode, &o.ties)).accepts = explore.TieModeSyntax
}

// printTies is the output line of the tie search.
func printTies(w io.Writer, res *explore.Result) {
	switch res.TieMode {
	case explore.TiesNone:
		fmt.Fprintf(w, "ties       kept in the kernel's order (--ties none): %s met, none explored\n", plural(res.Ties, "same-instant tie"))
	case explore.TiesAll:
		fmt.Fprintf(w, "ties       every order (--ties all): %s, %s with two live events or more\n", plural(res.Ties, "same-instant tie"), plural(res.TiePoints, "tie point"))
	case explore.TiesDPOR:
		fmt.Fprintf(w, "ties       one order per equivalence class (--ties dpor): %s, %s with two live events or more; %s explored, %s\n",
			plural(res.Ties, "same-instant tie"), plural(res.TiePoints, "tie point"), classes(res.Schedules), plural(res.Blocked, "sleep-set blocked run"))
	}
}

func classes(n int) string {
	if n == 1 {
		return "1 equivalence class"
	}
	return fmt.Sprintf("%d equivalence classes", n)
}
