package e2e

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The release binary links neither the testing package nor the test
// helpers, on any platform it is released for (.goreleaser.yaml): test
// helpers belong in _test.go files or in testkit.
func TestBinaryDoesNotLinkTesting(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	const modPath = "github.com/nexus-onboard/nexus-onboard"
	banned := []string{"testing", modPath + "/testkit", modPath + "/e2e"}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		t.Run(goos, func(t *testing.T) {
			// Each line: a package the binary links, then what it imports.
			cmd := exec.Command(goTool(), "list", "-deps", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", ".")
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps . (GOOS=%s): %v", goos, err)
			}
			imports := map[string][]string{}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.Fields(line)
				imports[f[0]] = f[1:]
			}
			if _, ok := imports[modPath]; !ok {
				t.Fatalf("go list -deps . does not list the main package %s:\n%s", modPath, out)
			}
			for _, b := range banned {
				if _, ok := imports[b]; !ok {
					continue
				}
				var by []string
				for pkg, imps := range imports {
					if slices.Contains(imps, b) {
						by = append(by, pkg)
					}
				}
				slices.Sort(by)
				t.Errorf("the nexus-onboard binary (GOOS=%s) links %s, imported by %s", goos, b, strings.Join(by, ", "))
			}
		})
	}
}
