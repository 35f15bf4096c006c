package fakeaws_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"strings"
	"testing"
)

// TestDocumented: the package and every exported identifier, including each field of Server
// (whose comments say what real behaviour a field models), carry a doc comment.
func TestDocumented(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	pkg := pkgs["fakeaws"]
	var pkgDoc bool
	for name, f := range pkg.Files {
		pkgDoc = pkgDoc || f.Doc != nil
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.IsExported() && d.Doc == nil {
					t.Errorf("%s: func %s has no doc comment", name, d.Name.Name)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok || !ts.Name.IsExported() {
						continue
					}
					if d.Doc == nil && ts.Doc == nil {
						t.Errorf("%s: type %s has no doc comment", name, ts.Name.Name)
					}
					if st, ok := ts.Type.(*ast.StructType); ok {
						for _, fld := range st.Fields.List {
							for _, n := range fld.Names {
								if n.IsExported() && fld.Doc == nil {
									t.Errorf("%s: field %s.%s has no doc comment", name, ts.Name.Name, n.Name)
								}
							}
						}
					}
				}
			}
		}
	}
	if !pkgDoc {
		t.Error("package fakeaws has no doc comment")
	}
}
