package winrmtest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestIndependentOfProduct: the emulator is an independent model of
// Windows. No file below remote/winrmtest, tests included, may import a
// winfleet package outside remote/winrmtest (the product's netsh parsing and
// rendering above all), or a green test could be the product agreeing with
// itself. Only direct imports need checking: any product code reached
// transitively would have to come through one of them.
func TestIndependentOfProduct(t *testing.T) {
	const module = "github.com/winfleet/winfleet/"
	const own = module + "remote/winrmtest"
	files := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return err
			}
			if strings.HasPrefix(p, module) && p != own && !strings.HasPrefix(p, own+"/") {
				t.Errorf("remote/winrmtest/%s imports %s: the emulator must not depend on the product", filepath.ToSlash(path), p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 20 {
		t.Fatalf("read %d Go files below remote/winrmtest, want the whole tree (20 or more)", files)
	}
}
