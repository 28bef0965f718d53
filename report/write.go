package report

import "github.com/idemsim/idemsim/internal/atomicfile"

// File is a file to write: its path and its bytes.
type File = atomicfile.File

// WriteFiles writes every file atomically (internal/atomicfile): a failure
// while writing leaves none of them changed and no temporary file behind.
func WriteFiles(files ...File) error { return atomicfile.WriteAll(files...) }
