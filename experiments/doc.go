// Package experiments runs sweeps: a configuration over many seeds, in
// parallel, with each seed's verdict and trace hash in seed order; Chaos,
// a world with a random fault mix per seed; and the runner of named
// experiments (defined in experiments/catalog): strategies crossed with
// one fault dimension, each cell over the same seeds, reduced to sums
// that shards and resumed runs add up to the same results files
// (FORMAT.md). The standard workload of the benchmarks and the README is
// defined here.
package experiments
