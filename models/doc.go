// Package models holds the server strategies the thread argues for, one file
// each, each opening with its rule in one sentence and the position it
// implements. They are written against world's Env only, so they read like
// the thread's own pseudo-code.
package models
