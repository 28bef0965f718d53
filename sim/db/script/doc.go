// Package script reads interleaved multi-session SQL scripts and runs them
// on the simulated database, printing what each statement returned, one line
// per statement. tools/pgscript runs the same scripts on a real PostgreSQL
// through the same parser and formatter, so the two outputs can be diffed;
// the format is described in sim/db/testdata/scripts/README.md.
//
// A script has one statement per line: `tN: STATEMENT` runs in session tN;
// a line without a prefix is setup, run in autocommit before any session;
// `#` starts a comment; `{level}` is replaced by the level being run, and a
// first-line comment `# levels: a, b` lists the levels a script runs at.
package script
