package e2e

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
)

const modPath = "github.com/nexus-onboard/nexus-onboard"

// The platforms a release is built for (.goreleaser.yaml).
var releaseGOOS = []string{"linux", "darwin", "windows"}

// The release binary links neither the testing package nor the test
// helpers, on any platform it is released for (.goreleaser.yaml): test
// helpers belong in _test.go files or in testkit.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	banned := []string{"testing", modPath + "/testkit", modPath + "/e2e"}
	for _, goos := range releaseGOOS {
		t.Run(goos, func(t *testing.T) {
			imports := binaryImports(t, goos)
			for _, b := range banned {
				if _, ok := imports[b]; ok {
					t.Errorf("the nexus-onboard binary (GOOS=%s) links %s, imported by %s", goos, b, importers(imports, b))
				}
			}
		})
	}
}

// The release binary speaks to Kubernetes through client-go's REST client
// (clients/kube.NewForConfig), never through its typed clientset: the
// packages k8s.io/client-go/kubernetes/... register every API group of
// Kubernetes when the program starts, which doubled the binary (56 → 28
// MB) and cost every invocation, Kubernetes or not, milliseconds.
func TestBinaryDoesNotLinkTheKubernetesClientset(t *testing.T) {
	const tree = "k8s.io/client-go/kubernetes"
	for _, goos := range releaseGOOS {
		t.Run(goos, func(t *testing.T) {
			imports := binaryImports(t, goos)
			if _, ok := imports["k8s.io/client-go/rest"]; !ok {
				t.Errorf("the nexus-onboard binary (GOOS=%s) does not link k8s.io/client-go/rest: is this test still looking at the right thing?", goos)
			}
			var linked []string
			for pkg := range imports {
				if pkg == tree || strings.HasPrefix(pkg, tree+"/") {
					linked = append(linked, pkg)
				}
			}
			slices.Sort(linked)
			for _, pkg := range linked {
				t.Errorf("the nexus-onboard binary (GOOS=%s) links %s, imported by %s", goos, pkg, importers(imports, pkg))
			}
		})
	}
}

var depsCache sync.Map // GOOS → func() (map[string][]string, error)

// binaryImports maps each package the binary links on goos (amd64, no cgo)
// to the packages it imports, from `go list -deps .` (once per GOOS).
func binaryImports(t *testing.T, goos string) map[string][]string {
	t.Helper()
	f, _ := depsCache.LoadOrStore(goos, sync.OnceValues(func() (map[string][]string, error) {
		root, err := moduleRoot()
		if err != nil {
			return nil, err
		}
		// Each line: a package the binary links, then what it imports.
		cmd := exec.Command(goTool(), "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
		out, err := cmd.Output()
		if err != nil {
			return nil, err
		}
		imports := map[string][]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			f := strings.Fields(line)
			imports[f[0]] = f[1:]
		}
		return imports, nil
	}))
	imports, err := f.(func() (map[string][]string, error))()
	if err != nil {
		t.Fatalf("go list -deps . (GOOS=%s): %v", goos, err)
	}
	if _, ok := imports[modPath]; !ok {
		t.Fatalf("go list -deps . (GOOS=%s) does not list the main package %s", goos, modPath)
	}
	return imports
}

// importers lists, sorted, the packages of imports that import pkg.
func importers(imports map[string][]string, pkg string) string {
	var by []string
	for p, imps := range imports {
		if slices.Contains(imps, pkg) {
			by = append(by, p)
		}
	}
	slices.Sort(by)
	return strings.Join(by, ", ")
}
