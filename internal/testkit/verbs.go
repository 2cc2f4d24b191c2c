package testkit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cfk/cfk/messages"
)

// DeclaredVerbs returns every constant of type messages.Verb declared in
// package messages, read from its source, so that a verb added there is
// walked here without anyone listing it.
func DeclaredVerbs(t testing.TB) []messages.Verb {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(moduleRoot(t), "messages", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("messages sources: %v %v", files, err)
	}
	var verbs []messages.Verb
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Verb" {
					continue
				}
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: a Verb constant that is not a string literal", fset.Position(v.Pos()))
					}
					verbs = append(verbs, messages.Verb(strings.Trim(lit.Value, "\"`")))
				}
			}
		}
	}
	return verbs
}

// moduleRoot is the directory of go.mod, found from the test's directory
// upwards.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}
