package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// A bad secret_store or kube_namespace is one input problem, said once,
// and nothing tries to reach a cluster; an unreachable configuration says
// what to give.
func TestSecretStoreInputProblems(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("auth_url: https://auth.example.invalid\ngws_url: https://gws.example.invalid\nnexus_url: https://nexus.example.invalid\ncc_id: 578ec98e-f07c-46ad-9675-f36c22f3ba9f\ngws_admin_user: ops\ntenant_user: nexus\ntenant_name: t1\n"), 0o600)
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"unknown store", []string{"NEXUS_ONBOARD_SECRET_STORE=kube"}, `secret_store: must be keyring or kubernetes (got "kube")`},
		{"bad namespace", []string{"NEXUS_ONBOARD_SECRET_STORE=kubernetes", "NEXUS_ONBOARD_KUBE_NAMESPACE=Bad_NS"}, "kube_namespace: must be a Kubernetes namespace name"},
		{"no cluster", []string{"NEXUS_ONBOARD_SECRET_STORE=kubernetes", "KUBECONFIG=" + filepath.Join(dir, "none")}, "give a kubeconfig file, or run in a pod"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, _, stderr := testApp(secrets.NewMemory(), c.env...)
			code := a.Main([]string{"plan", "--config", cfg, "--state-dir", filepath.Join(dir, "state")})
			out := stderr.String()
			if code != app.ExitUsage || !strings.Contains(out, c.want) || strings.Count(out, "  - ") != 1 {
				t.Errorf("exit %d, want 2 and one problem %q:\n%s", code, c.want, out)
			}
		})
	}
}
