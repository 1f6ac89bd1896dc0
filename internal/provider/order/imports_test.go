package order

import (
	"go/build"
	"path/filepath"
	"strings"
	"testing"
)

// TestEngineImportsNoFramework keeps "resources -> engine -> client": the
// engine (with everything of this module it imports) imports no
// terraform-plugin-framework package and nothing of internal/provider.
func TestEngineImportsNoFramework(t *testing.T) {
	const module = "github.com/regfish/terraform-provider-regfish/"
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var walk func(dir, path string)
	walk = func(dir, path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			switch {
			case strings.HasPrefix(imp, "github.com/hashicorp/terraform-plugin-framework"):
				t.Errorf("%s imports %s: the engine must not import the framework", path, imp)
			case imp == module+"internal/provider" || (strings.HasPrefix(imp, module+"internal/provider/") && imp != module+"internal/provider/order"):
				t.Errorf("%s imports %s: the engine must not import the provider", path, imp)
			case strings.HasPrefix(imp, module):
				walk(filepath.Join(root, strings.TrimPrefix(imp, module)), imp)
			}
		}
	}
	walk(".", module+"internal/provider/order")
	if len(seen) < 2 {
		t.Fatalf("walked only %v", seen)
	}
}
