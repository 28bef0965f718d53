// Package faults describes what goes wrong in a run: the fault plan (link
// latency and loss rates, partitions, crashes) and the record of each fault
// that actually fired. Both print as one-line expressions that parse back into
// the same value, so a run's faults can be read, replayed and shrunk.
package faults
