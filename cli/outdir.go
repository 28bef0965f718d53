package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/diagram"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/sim/api"
	"github.com/idemsim/idemsim/sim/world"
)

// The files idemsim run --out writes.
const (
	outSummary  = "summary.txt"  // what the run printed after its timeline
	outTimeline = "timeline.txt" // every event, as --trace prints it
	outFaults   = "faults.txt"   // the faults that fired, replayable with --replay
	outSVG      = "diagram.svg"  // a violating run's sequence diagram
	outPNG      = "diagram.png"
	outLinear   = "porcupine.html" // porcupine's picture of the first illegal partition
)

// checkOutDir accepts a directory that exists or can be made (its parent
// exists), and refuses a file.
func checkOutDir(dir string) error {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("is a file; want a directory")
		}
		return nil
	}
	if parent := filepath.Dir(filepath.Clean(dir)); !isDir(parent) {
		return fmt.Errorf("its parent %s does not exist", parent)
	}
	return nil
}

// checkRunOutDir is checkOutDir for run --out, which also refuses, before
// the run, a file of its own in dir that is not a regular file.
func checkRunOutDir(dir string) error {
	if err := checkOutDir(dir); err != nil {
		return err
	}
	for _, name := range []string{outSummary, outTimeline, outFaults, outSVG, outPNG, outLinear} {
		if _, err := atomicfile.Resolve(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes data to path atomically (internal/atomicfile).
func writeFileAtomic(path string, data []byte) error {
	return writeFilesAtomic(atomicfile.File{Path: path, Data: data})
}

// writeFilesAtomic writes files atomically (internal/atomicfile).
func writeFilesAtomic(files ...atomicfile.File) error {
	return refusedIsUsage(atomicfile.WriteAll(files...))
}

// refusedIsUsage makes atomicfile's refusal of a path that is not a
// regular file (a directory, a device, a named pipe, a socket) a usage
// error, exit status 2: the path given was wrong. Any other failure to
// write stays a failure, exit status 1.
func refusedIsUsage(err error) error {
	if r := (*atomicfile.RefusedError)(nil); errors.As(err, &r) {
		return usagef("%v", err)
	}
	return err
}

// writeOutDir writes a run's files into dir, each atomically; porcupine's
// picture of the first partition it found illegal, if any; the sequence
// diagram only for a run that broke a rule (by either oracle), restricted to op if
// one was asked for (a long run is restricted to its first violation's
// operation by the diagram itself).
// It returns the names of the files it wrote, in order.
func writeOutDir(dir, command string, res *world.Result, rep *check.Report, lin *check.Linearization, op *api.OpID, summary []byte) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var timeline bytes.Buffer
	if err := res.WriteTrace(&timeline, nil); err != nil {
		return nil, err
	}
	faults := filepath.Join(dir, outFaults)
	err := writeFilesAtomic(atomicfile.File{Path: filepath.Join(dir, outSummary), Data: summary},
		atomicfile.File{Path: filepath.Join(dir, outTimeline), Data: timeline.Bytes()},
		atomicfile.File{Path: faults, Data: faultList(faults, command, res)})
	if err != nil {
		return nil, err
	}
	wrote := []string{outSummary, outTimeline, outFaults}
	for i := range lin.Partitions {
		if p := &lin.Partitions[i]; p.Verdict == check.Illegal {
			var page bytes.Buffer
			if err := p.Visualize(&page); err != nil {
				return wrote, err
			}
			if err := writeFileAtomic(filepath.Join(dir, outLinear), page.Bytes()); err != nil {
				return wrote, err
			}
			wrote = append(wrote, outLinear)
			break
		}
	}
	if !rep.Violated("") && lin.Counts[check.Illegal] == 0 {
		return wrote, nil
	}
	if err := diagram.Write(res, *rep, diagram.Options{Op: op, Linearization: lin}, filepath.Join(dir, outSVG), filepath.Join(dir, outPNG)); err != nil {
		return wrote, refusedIsUsage(err)
	}
	return append(wrote, outSVG, outPNG), nil
}
