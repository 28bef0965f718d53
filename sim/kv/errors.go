package kv

import "errors"

// The errors carry Redis's reply text, so the world can pass them to a
// client verbatim and callers can still match them with errors.Is.
var (
	// ErrOOM: a write would exceed MaxMemory and the policy frees too little.
	ErrOOM = errors.New("OOM command not allowed when used memory > 'maxmemory'.")
	// ErrNotInteger: INCR on a value that is not a 64-bit integer in
	// Redis's strict form (no sign but '-', no leading zeros or spaces).
	ErrNotInteger = errors.New("ERR value is not an integer or out of range")
	// ErrOverflow: INCR on math.MaxInt64. Redis words this differently from
	// ErrNotInteger, and so do we.
	ErrOverflow = errors.New("ERR increment or decrement would overflow")
	// ErrSyntax: SET with NX and XX, or KEEPTTL with a TTL.
	ErrSyntax = errors.New("ERR syntax error")
	// ErrInvalidExpireTime: SET with a negative TTL.
	ErrInvalidExpireTime = errors.New("ERR invalid expire time in 'set' command")
)
