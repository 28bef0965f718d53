//go:build unix

package inputfile

import "syscall"

// openFlags make opening a named pipe return at once rather than wait for
// a writer that may never come.
const openFlags = syscall.O_NONBLOCK
