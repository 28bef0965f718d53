// Package experiments runs sweeps: a configuration over many seeds, in
// parallel, with each seed's verdict and trace hash in seed order. The
// standard workload of the benchmarks and the README is defined here.
package experiments
