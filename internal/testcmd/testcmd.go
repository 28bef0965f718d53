// Package testcmd builds the command that reruns exactly one test or
// subtest, so every failure message can carry it.
package testcmd

import (
	"regexp"
	"strings"
	"testing"
)

// Rerun returns "reproduce: go test PKG -run '^Test$/^sub$'" for the calling
// test t, anchoring each level of its name.
func Rerun(t testing.TB, pkg string) string {
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return "reproduce: go test " + pkg + " -run '" + strings.Join(parts, "/") + "'"
}
