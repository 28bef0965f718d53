package sim_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Goal: the simulated world stays deterministic by construction (raft keeps
// I/O out of the protocol). Method: parse every non-test file of sim/,
// models/, faults/ and explore/ (whose search decides runs) and reject wall-clock calls, global or crypto
// randomness, OS and network access, real concurrency (go statements,
// select, sync) — the kernel's iter.Pull coroutines are the only hand-off.
func TestWorldIsPure(t *testing.T) {
	forbiddenImports := map[string]string{
		"math/rand":   "global randomness: draw from the run's Chooser",
		"crypto/rand": "nondeterministic randomness",
		"os":          "the world does no I/O",
		"os/exec":     "the world does no I/O",
		"net":         "the simulated network is sim/network",
		"net/http":    "the simulated network is sim/network",
		"syscall":     "the world does no I/O",
		"sync":        "no real concurrency: one actor runs at a time",
		"sync/atomic": "no real concurrency: one actor runs at a time",
	}
	forbiddenTime := map[string]bool{
		"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
		"AfterFunc": true, "Tick": true, "NewTimer": true, "NewTicker": true,
	}
	files := 0
	for _, root := range []string{".", "../models", "../faults", "../explore"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			files++
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			require.NoError(t, err)
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				if why, bad := forbiddenImports[p]; bad {
					t.Errorf("%s imports %s: %s (go test ./sim -run TestWorldIsPure)", path, p, why)
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.GoStmt:
					t.Errorf("%s: go statement: actors are kernel coroutines (go test ./sim -run TestWorldIsPure)", fset.Position(n.Pos()))
				case *ast.SelectStmt:
					t.Errorf("%s: select: its choice among ready channels is random (go test ./sim -run TestWorldIsPure)", fset.Position(n.Pos()))
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && id.Name == "time" && forbiddenTime[n.Sel.Name] {
						t.Errorf("%s: time.%s reads the wall clock (go test ./sim -run TestWorldIsPure)", fset.Position(n.Pos()), n.Sel.Name)
					}
				}
				return true
			})
			return nil
		})
		require.NoError(t, err)
	}
	assert.Greater(t, files, 10, "the walk found the sources")
}
