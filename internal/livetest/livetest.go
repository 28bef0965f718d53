// Package livetest starts throwaway real servers (PostgreSQL, Redis) for
// the live tests, on loopback ports in temporary directories, and stops
// them when the test ends. A machine without the servers skips those tests
// loudly; under CI=true, where make live-deps has installed them, a missing
// server fails the test instead, so that CI never passes without running
// them. docs/live.md says how to run them.
package livetest

import (
	"errors"
	"io/fs"
	"os"
	"testing"
)

// Need stops the test unless the server binary at binaryPath exists: it
// skips with a message naming make live-deps, or fails when the CI
// environment variable is "true". what names the server for the message
// ("PostgreSQL 15", "Redis").
func Need(t testing.TB, what, binaryPath string) {
	t.Helper()
	_, err := os.Stat(binaryPath)
	if err == nil {
		return
	}
	msg := "LIVE TEST NOT RUN: " + what + " is not installed (" + binaryPath + ": " + reason(err) + "); run `make live-deps` (as root) to install it"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg + " — CI=true requires the live tests to run")
	}
	t.Skip(msg)
}

func reason(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "missing"
	}
	return err.Error()
}
