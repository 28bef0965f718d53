package diagram

import (
	"fmt"

	"github.com/idemsim/idemsim/check"
	"github.com/idemsim/idemsim/internal/atomicfile"
	"github.com/idemsim/idemsim/sim/world"
)

// Write draws res as a sequence diagram (as opts say: restricted to an
// operation's events, porcupine's findings named) and writes it as SVG to svgPath and as PNG to pngPath; an empty
// path is skipped. Both pictures are rendered before either file is
// touched, and each file is written under a temporary name in its own
// directory and then renamed, so a failure leaves no half-written file and
// no temporary one behind.
func Write(res *world.Result, rep check.Report, opts Options, svgPath, pngPath string) error {
	d, err := New(res, rep, opts)
	if err != nil {
		return err
	}
	var files []atomicfile.File
	if svgPath != "" {
		b, err := d.SVG()
		if err != nil {
			return fmt.Errorf("diagram: svg: %w", err)
		}
		files = append(files, atomicfile.File{Path: svgPath, Data: b})
	}
	if pngPath != "" {
		b, err := d.PNG()
		if err != nil {
			return fmt.Errorf("diagram: png: %w", err)
		}
		files = append(files, atomicfile.File{Path: pngPath, Data: b})
	}
	return atomicfile.WriteAll(files...)
}
