// Package models holds the server strategies the thread argues for, one file
// each, each opening with its rule in one sentence and the position it
// implements, in our own words. They are written against package api only —
// the environment and its services — so they read like the thread's own
// pseudo-code and could run against a real database.
package models
