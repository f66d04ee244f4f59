package e2e

// The deployment manifests (deploy/kubernetes/*.yaml) against a real
// Kubernetes API server: every document must be accepted by a server-side
// dry run, which runs the API server's own defaulting, validation and
// admission but stores nothing.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/testkit"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

// manifestsDir is where the deployment manifests live, from the module root.
const manifestsDir = "deploy/kubernetes"

func TestDeployManifestsDryRun(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, manifestsDir)
	files := manifestFiles(dir)
	if len(files) == 0 {
		// Missing in CI fails (testkit.Missing): the manifests are a
		// deliverable, not an optional component.
		testkit.Missing(t, "no deployment manifests: %s/*.yaml is missing or empty", manifestsDir)
	}
	k := testkit.StartKube(t)
	for _, err := range dryRun(t, k, files) {
		t.Error(err)
	}
}

// The check itself has teeth: it accepts a valid object and names the file
// and document of an invalid one.
func TestDeployDryRunRefusesInvalidManifests(t *testing.T) {
	k := testkit.StartKube(t)
	dir := t.TempDir()
	good := `apiVersion: v1
kind: ServiceAccount
metadata:
  name: nexus-onboard
---
# a comment-only document is skipped
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: nexus-onboard
  namespace: somewhere-else
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
`
	bad := `apiVersion: batch/v1
kind: Job
metadata:
  name: Not_A_Valid_Name
spec:
  template:
    spec:
      restartPolicy: Always
      containers: []
`
	os.WriteFile(filepath.Join(dir, "good.yaml"), []byte(good), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o600)
	if errs := dryRun(t, k, manifestFiles(dir)[1:]); len(errs) != 0 { // good.yaml only
		t.Errorf("valid manifests refused: %v", errs)
	}
	errs := dryRun(t, k, manifestFiles(dir))
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "bad.yaml document 1 (Job Not_A_Valid_Name)") {
		t.Errorf("want one error naming bad.yaml document 1, got %v", errs)
	}
}

// manifestFiles lists dir's *.yaml and *.yml files, sorted; none if dir is
// missing.
func manifestFiles(dir string) []string {
	var files []string
	for _, pattern := range []string{"*.yaml", "*.yml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		files = append(files, m...)
	}
	slices.Sort(files)
	return files
}

// dryRun creates every document of files on k with dryRun=All, namespaced
// objects in a fresh namespace (whatever namespace they name), and returns
// an error per document the server refused.
func dryRun(t *testing.T, k *testkit.Kube, files []string) []error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := k.Namespace(t)
	dc, err := discovery.NewDiscoveryClientForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	groups, err := restmapper.GetAPIGroupResources(dc)
	if err != nil {
		t.Fatal(err)
	}
	mapper := restmapper.NewDiscoveryRESTMapper(groups)
	dyn, err := dynamic.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	docs := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(file)
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
		for i := 1; ; i++ {
			var obj unstructured.Unstructured
			err := dec.Decode(&obj.Object)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s document %d: not YAML: %v", name, i, err))
				break
			}
			if len(obj.Object) == 0 {
				continue // empty or comment-only document
			}
			docs++
			what := fmt.Sprintf("%s document %d (%s %s)", name, i, obj.GetKind(), obj.GetName())
			gvk := obj.GroupVersionKind()
			mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: the API server serves no such kind: %v", what, err))
				continue
			}
			res := dyn.Resource(mapping.Resource)
			opts := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"}
			if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
				obj.SetNamespace(ns)
				_, err = res.Namespace(ns).Create(ctx, &obj, opts)
			} else {
				_, err = res.Create(ctx, &obj, opts)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: refused by the API server (dry run): %v", what, err))
			}
		}
	}
	t.Logf("%d documents in %d files dry-run against kube-apiserver %s", docs, len(files), testkit.KubeVersion)
	return errs
}
