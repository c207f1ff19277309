package lab

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestIndependentOfProduct: the simulated Windows and the fleet are an
// independent model. No file below lab/, tests included, may import a
// winfleet package other than lab/... and the protocol fake
// remote/winrmtest (which has the same rule for itself). Only direct
// imports need checking: product code reached transitively would have to
// come through one of them.
func TestIndependentOfProduct(t *testing.T) {
	const module = "github.com/winfleet/winfleet/"
	allowed := func(p string) bool {
		for _, own := range []string{module + "lab", module + "remote/winrmtest"} {
			if p == own || strings.HasPrefix(p, own+"/") {
				return true
			}
		}
		return false
	}
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
			if strings.HasPrefix(p, module) && !allowed(p) {
				t.Errorf("lab/%s imports %s: the simulated fleet must not depend on the product", filepath.ToSlash(path), p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 25 {
		t.Fatalf("read %d Go files below lab/, want the whole tree (25 or more)", files)
	}
}
