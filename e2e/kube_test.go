package e2e

// secret_store: kubernetes against a real kube-apiserver + etcd: a whole
// run, doctor, rotate and reset, as the deployment's service account bound
// to nothing but deploy/kubernetes/role.yaml, with no OS keyring at all.

import (
	"context"
	"encoding/base64"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/nexus-onboard/nexus-onboard/clients/kube"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// kubeWorld is a sandbox world whose tool keeps everything in a namespace
// of a real API server, through a service account with the manifests' Role.
type kubeWorld struct {
	*world
	admin kubernetes.Interface
	// adminAPI is the tool's own client (kube.NewClient) for the admin.
	adminAPI kube.API
	ns       string
	env      []string // the child's environment: the store, the kubeconfig, no D-Bus
}

func newKubeWorld(t *testing.T) *kubeWorld {
	t.Helper()
	w := newWorld(t)
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	admin, err := kubernetes.NewForConfig(k.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data, err := os.ReadFile("../deploy/kubernetes/role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.Role
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatal(err)
	}
	role.Namespace = ns
	if _, err := admin.RbacV1().Roles(ns).Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "nexus-onboard"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "nexus-onboard"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "nexus-onboard", Namespace: ns}}}
	if _, err := admin.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := k.WriteKubeconfig(kubeconfig, k.ServiceAccountToken(t, ns, "nexus-onboard"), ns); err != nil {
		t.Fatal(err)
	}
	adminKubeconfig := filepath.Join(t.TempDir(), "admin-kubeconfig")
	if err := k.WriteKubeconfig(adminKubeconfig, k.Config.BearerToken, ns); err != nil {
		t.Fatal(err)
	}
	adminAPI, apiNS, err := kube.NewClient(adminKubeconfig)
	if err != nil || apiNS != ns {
		t.Fatalf("kube.NewClient(admin kubeconfig): namespace %q, %v", apiNS, err)
	}
	return &kubeWorld{world: w, admin: admin, adminAPI: adminAPI, ns: ns, env: []string{
		"NEXUS_ONBOARD_SECRET_STORE=kubernetes",
		"KUBECONFIG=" + kubeconfig,
		// No Secret Service: the OS keyring must not be needed at all.
		"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(w.dir, "no-bus"),
	}}
}

func (k *kubeWorld) cli(t *testing.T, args ...string) result {
	t.Helper()
	return k.runChild(t, k.env, append(args, "--config", k.cfg)...)
}

// noSecretOutsideSecrets: no value the sandbox knows or issued is in a
// ConfigMap, an Event or a Lease of the namespace, or in the output.
func (k *kubeWorld) noSecretOutsideSecrets(t *testing.T, outputs ...string) {
	t.Helper()
	ctx := context.Background()
	var texts []string
	cms, _ := k.admin.CoreV1().ConfigMaps(k.ns).List(ctx, metav1.ListOptions{})
	for _, cm := range cms.Items {
		for _, v := range cm.Data {
			texts = append(texts, v)
		}
	}
	evs, _ := k.admin.CoreV1().Events(k.ns).List(ctx, metav1.ListOptions{})
	for _, e := range evs.Items {
		texts = append(texts, e.Message)
	}
	texts = append(texts, outputs...)
	known := []string{k.sb.Opts.OpsPassword, k.sb.Opts.TenantPassword, k.sb.Opts.UCSAPIKey}
	for _, c := range k.sb.Clients() {
		if v, ok := c["client_secret"].(string); ok {
			known = append(known, v)
		}
	}
	for _, tn := range k.sb.Tenants() {
		if v, ok := tn["xapikey"].(string); ok {
			known = append(known, v)
		}
	}
	known = append(known, k.sb.IssuedTokens()...)
	secs, _ := k.admin.CoreV1().Secrets(k.ns).List(ctx, metav1.ListOptions{})
	for _, sec := range secs.Items {
		for _, v := range sec.Data {
			known = append(known, string(v))
		}
	}
	for _, s := range known {
		if len(s) < 8 {
			continue
		}
		for _, txt := range texts {
			if strings.Contains(txt, s) || strings.Contains(txt, base64.StdEncoding.EncodeToString([]byte(s))) {
				t.Errorf("a secret is outside the Secrets: %q…", s[:4])
			}
		}
	}
}

func TestKubernetesStoreRunDoctorRotateReset(t *testing.T) {
	k := newKubeWorld(t)
	ctx := context.Background()

	r := k.cli(t, "run", "--output", "json")
	if r.code != 0 {
		t.Fatalf("run: exit %d\n%s", r.code, r.stderr)
	}
	// The contact center's Secret holds the API key; the environment's
	// Secret the client secret; the ConfigMap the state; no Lease is left.
	sec, err := k.admin.CoreV1().Secrets(k.ns).Get(ctx, kube.SecretName(k.cc), metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the contact center's Secret: %v", err)
	}
	key, _ := kube.DataKey(k.cc + "/nexus_api_key")
	if tenants := k.sb.Tenants(); len(tenants) != 1 || string(sec.Data[key]) != tenants[0]["xapikey"] {
		t.Errorf("the Secret does not hold the tenant's API key")
	}
	list, _ := k.admin.CoreV1().Secrets(k.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=nexus-onboard"})
	if len(list.Items) != 2 {
		t.Errorf("%d Secrets, want the contact center's and the environment's", len(list.Items))
	}
	if _, err := k.admin.CoreV1().ConfigMaps(k.ns).Get(ctx, kube.StateName(k.cc), metav1.GetOptions{}); err != nil {
		t.Errorf("the state ConfigMap: %v", err)
	}
	if _, err := k.admin.CoordinationV1().Leases(k.ns).Get(ctx, kube.LeaseName(k.cc), metav1.GetOptions{}); err == nil {
		t.Errorf("the Lease is still there after the run")
	}
	k.noSecretOutsideSecrets(t, r.stdout, r.stderr)

	// Resume is from the ConfigMap: a second run creates nothing.
	if r := k.cli(t, "run"); r.code != 0 || len(k.sb.Clients()) != 1 || len(k.sb.Tenants()) != 1 {
		t.Fatalf("second run: exit %d, %d clients, %d tenants\n%s", r.code, len(k.sb.Clients()), len(k.sb.Tenants()), r.stderr)
	}

	// Two runs of one contact center never overlap: a held Lease refuses.
	states := kube.NewStateStore(k.adminAPI, k.ns)
	unlock, err := states.Lock(ctx, k.cc, "another-pod/1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r := k.cli(t, "run"); r.code != 2 || !strings.Contains(r.stderr, "another nexus-onboard run") {
		t.Errorf("run while another holds the Lease: exit %d\n%s", r.code, r.stderr)
	}
	unlock()

	if r := k.cli(t, "doctor"); r.code != 0 {
		t.Errorf("doctor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The secrets commands read the same store.
	if r := k.cli(t, "secrets", "list"); r.code != 0 || strings.Count(r.stdout, " yes") != 2 {
		t.Errorf("secrets list: exit %d, want both entries present\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := k.cli(t, "rotate", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "Auth refuses the old one") {
		t.Errorf("rotate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := k.cli(t, "doctor"); r.code != 0 {
		t.Errorf("doctor after rotate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	k.noSecretOutsideSecrets(t)

	if r := k.cli(t, "reset", "--yes"); r.code != 0 {
		t.Errorf("reset: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	list, _ = k.admin.CoreV1().Secrets(k.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=nexus-onboard"})
	if len(list.Items) != 0 {
		t.Errorf("reset left %d Secrets", len(list.Items))
	}
	if _, err := k.admin.CoreV1().ConfigMaps(k.ns).Get(ctx, kube.StateName(k.cc), metav1.GetOptions{}); err == nil {
		t.Errorf("reset left the state ConfigMap")
	}

	// batch, one tenant per pod (--index, as the Indexed Job runs it).
	raw, err := os.ReadFile(k.cfg)
	if err != nil {
		t.Fatal(err)
	}
	var defaults map[string]any
	if err := yaml.Unmarshal(raw, &defaults); err != nil {
		t.Fatal(err)
	}
	tenant := map[string]any{}
	for _, key := range []string{"cc_id", "tenant_name", "tenant_user", "tenant_password"} {
		tenant[key] = defaults[key]
		delete(defaults, key)
	}
	manifest, _ := yaml.Marshal(map[string]any{"defaults": defaults, "tenants": []any{tenant}})
	mf := filepath.Join(k.dir, "tenants.yaml")
	if err := os.WriteFile(mf, manifest, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := k.runChild(t, k.env, "batch", mf, "--index", "0", "--output", "json"); r.code != 0 || !strings.Contains(r.stdout, `"status": "ok"`) {
		t.Fatalf("batch --index 0: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// reset removed the client; the batch made it again, its secret in
	// the environment's Secret (the tenant was there already: Digital
	// Channels shows its key only once, so its Secret stays gone).
	list, _ = k.admin.CoreV1().Secrets(k.ns).List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=nexus-onboard"})
	if len(list.Items) != 1 || len(k.sb.Clients()) != 1 {
		t.Errorf("after batch: %d Secrets, %d clients; want the environment's Secret and one client", len(list.Items), len(k.sb.Clients()))
	}
	second := map[string]any{"cc_id": testkit.UUID(), "tenant_name": "second", "tenant_user": "nexus", "tenant_password": tenant["tenant_password"]}
	manifest, _ = yaml.Marshal(map[string]any{"defaults": defaults, "tenants": []any{tenant, second}})
	if err := os.WriteFile(mf, manifest, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := k.runChild(t, k.env, "batch", mf); r.code != 2 || !strings.Contains(r.stderr, "--index") {
		t.Errorf("batch of several pods' work in one process with the kubernetes store: exit %d, want 2 naming --index\n%s", r.code, r.stderr)
	}
	k.noSecretOutsideSecrets(t)
}

// In a pod with no keyring and no store chosen, the refusal names both
// choices; nothing that changes anything is sent.
func TestPodWithoutKeyringNamesBothStores(t *testing.T) {
	w := newWorld(t)
	r := w.runChild(t, []string{"KUBERNETES_SERVICE_HOST=10.0.0.1", "DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(w.dir, "no-bus")},
		"run", "--config", w.cfg, "--state-dir", w.stateDir)
	if r.code != 2 || !strings.Contains(r.stderr, "NEXUS_ONBOARD_SECRET_STORE=kubernetes") || !strings.Contains(r.stderr, "NEXUS_ONBOARD_SECRET_STORE=keyring") {
		t.Errorf("exit %d, want 2 naming both stores\n%s", r.code, r.stderr)
	}
	for _, rq := range w.sb.Requests() {
		if rq.Method != http.MethodGet && rq.Method != http.MethodHead {
			t.Errorf("%s %s sent without a secret store", rq.Method, rq.Path)
		}
	}
}
