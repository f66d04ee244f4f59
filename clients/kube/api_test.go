package kube

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/testkit"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
)

// client-go's typed clients have the methods of the API's resources, as
// the API's comment says.
var (
	_ SecretsAPI    = corev1client.SecretInterface(nil)
	_ ConfigMapsAPI = corev1client.ConfigMapInterface(nil)
	_ LeasesAPI     = coordinationv1client.LeaseInterface(nil)
)

// apiFor is the production API (NewForConfig) for cfg.
func apiFor(t testing.TB, cfg *rest.Config) API {
	t.Helper()
	a, err := NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// adminAPI is the production API as the API server's admin.
func adminAPI(t testing.TB, k *testkit.Kube) API { return apiFor(t, k.Config) }

// Both API groups share one HTTP client (one connection pool) and, when
// the configuration sets QPS, one rate limiter, as a clientset would.
func TestNewForConfigSharesTheTransport(t *testing.T) {
	for _, qps := range []float32{0, 50} {
		a, err := NewForConfig(&rest.Config{Host: "https://kube.example.invalid:6443", BearerToken: "t", QPS: qps, Burst: 100})
		if err != nil {
			t.Fatal(err)
		}
		r := a.(*restAPI)
		if r.core.Client == nil || r.core.Client != r.coordination.Client {
			t.Errorf("QPS %v: the two REST clients have HTTP clients %p and %p, want one", qps, r.core.Client, r.coordination.Client)
		}
		if shared := r.core.GetRateLimiter() == r.coordination.GetRateLimiter(); shared != (qps > 0) {
			t.Errorf("QPS %v: rate limiter shared = %v", qps, shared)
		}
		if got := r.core.Get().Namespace("ns").Resource("secrets").Name("x").URL().Path; got != "/api/v1/namespaces/ns/secrets/x" {
			t.Errorf("Secret path %s", got)
		}
		if got := r.coordination.Get().Namespace("ns").Resource("leases").Name("x").URL().Path; got != "/apis/coordination.k8s.io/v1/namespaces/ns/leases/x" {
			t.Errorf("Lease path %s", got)
		}
	}
	if _, err := NewForConfig(&rest.Config{Host: "https://kube.example.invalid", QPS: 5}); err == nil {
		t.Error("QPS without Burst accepted")
	}
}

type crud[T interface {
	runtime.Object
	metav1.Object
}] interface {
	Get(ctx context.Context, name string, opts metav1.GetOptions) (T, error)
	Create(ctx context.Context, obj T, opts metav1.CreateOptions) (T, error)
	Update(ctx context.Context, obj T, opts metav1.UpdateOptions) (T, error)
	Delete(ctx context.Context, name string, opts metav1.DeleteOptions) error
}

// The API against a real API server: every verb of every resource the
// stores use, its options (dry run, preconditions, label selector) as the
// server reads them, and its refusals as *errors.StatusError that
// apierrors.IsNotFound, IsAlreadyExists, IsConflict and IsForbidden tell
// apart.
func TestAPIAgainstTheAPIServer(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	admin := adminAPI(t, k)
	nobody := apiFor(t, k.ConfigFor(k.ServiceAccountToken(t, ns, "nobody"))) // bound to no Role
	t.Run("secrets", func(t *testing.T) {
		exerciseCRUD(t, admin.Secrets(ns), nobody.Secrets(ns), "secrets", func(name string) *corev1.Secret {
			return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"l": "v"}},
				Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"k": []byte("v")}}
		}, func(s *corev1.Secret) bool { return string(s.Data["k"]) == "v" && s.Type == corev1.SecretTypeOpaque })
	})
	t.Run("configmaps", func(t *testing.T) {
		exerciseCRUD(t, admin.ConfigMaps(ns), nobody.ConfigMaps(ns), "configmaps", func(name string) *corev1.ConfigMap {
			return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"l": "v"}}, Data: map[string]string{"k": "v"}}
		}, func(cm *corev1.ConfigMap) bool { return cm.Data["k"] == "v" })
	})
	t.Run("leases", func(t *testing.T) {
		holder, secs := "h", int32(7)
		exerciseCRUD(t, admin.Leases(ns), nobody.Leases(ns), "leases", func(name string) *coordinationv1.Lease {
			return &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"l": "v"}},
				Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &secs}}
		}, func(l *coordinationv1.Lease) bool {
			return l.Spec.HolderIdentity != nil && *l.Spec.HolderIdentity == "h" && l.Spec.LeaseDurationSeconds != nil && *l.Spec.LeaseDurationSeconds == 7
		})
	})
	t.Run("configmaps list", func(t *testing.T) {
		ctx := ctxFor(t)
		cms := admin.ConfigMaps(ns)
		for _, name := range []string{"listed-a", "listed-b", "unlabelled"} {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}
			if name != "unlabelled" {
				cm.Labels = map[string]string{"list": "me", "n": name}
			}
			if _, err := cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		list, err := cms.List(ctx, metav1.ListOptions{LabelSelector: "list=me,n!=listed-b"})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, cm := range list.Items {
			names = append(names, cm.Name)
		}
		if !slices.Equal(names, []string{"listed-a"}) || list.ResourceVersion == "" {
			t.Errorf("List by label selector: %v (resourceVersion %q), want [listed-a]", names, list.ResourceVersion)
		}
		_, err = nobody.ConfigMaps(ns).List(ctx, metav1.ListOptions{})
		wantStatus(t, "List as nobody", err, apierrors.IsForbidden)
		if err != nil && !strings.Contains(err.Error(), `cannot list resource "configmaps"`) {
			t.Errorf("List as nobody: %v", err)
		}
	})
}

// wantStatus fails unless err is an API server's *errors.StatusError that
// satisfies is.
func wantStatus(t *testing.T, what string, err error, is func(error) bool) {
	t.Helper()
	var se *apierrors.StatusError
	if !errors.As(err, &se) || !is(err) {
		t.Errorf("%s: %T %v, want a *errors.StatusError of another reason", what, err, err)
	}
}

func exerciseCRUD[T interface {
	runtime.Object
	metav1.Object
}](t *testing.T, api, nobody crud[T], resource string, newObj func(name string) T, same func(T) bool) {
	ctx := ctxFor(t)
	const name = "object"

	_, err := api.Get(ctx, name, metav1.GetOptions{})
	wantStatus(t, "Get of a missing object", err, apierrors.IsNotFound)

	// A dry run creates nothing: the option reaches the server.
	if _, err := api.Create(ctx, newObj(name), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run Create: %v", err)
	}
	_, err = api.Get(ctx, name, metav1.GetOptions{})
	wantStatus(t, "Get after a dry-run Create", err, apierrors.IsNotFound)

	created, err := api.Create(ctx, newObj(name), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if created.GetName() != name || created.GetResourceVersion() == "" || created.GetUID() == "" || created.GetLabels()["l"] != "v" || !same(created) {
		t.Errorf("Create returned %+v", created)
	}
	_, err = api.Create(ctx, newObj(name), metav1.CreateOptions{})
	wantStatus(t, "Create of an existing object", err, apierrors.IsAlreadyExists)

	got, err := api.Get(ctx, name, metav1.GetOptions{})
	if err != nil || got.GetResourceVersion() != created.GetResourceVersion() || got.GetUID() != created.GetUID() || !same(got) {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	got.SetLabels(map[string]string{"l": "w"})
	updated, err := api.Update(ctx, got, metav1.UpdateOptions{})
	if err != nil || updated.GetLabels()["l"] != "w" || updated.GetResourceVersion() == created.GetResourceVersion() {
		t.Fatalf("Update = %+v, %v", updated, err)
	}
	_, err = api.Update(ctx, created, metav1.UpdateOptions{}) // created's resourceVersion is stale
	wantStatus(t, "Update with a stale resourceVersion", err, apierrors.IsConflict)

	staleRV := created.GetResourceVersion()
	err = api.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &staleRV}})
	wantStatus(t, "Delete with a stale resourceVersion precondition", err, apierrors.IsConflict)
	if err := api.Delete(ctx, name, metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run Delete: %v", err)
	}
	if _, err := api.Get(ctx, name, metav1.GetOptions{}); err != nil {
		t.Fatalf("Get after a dry-run Delete: %v", err)
	}

	// A service account without a Role is refused every verb.
	_, err = nobody.Get(ctx, name, metav1.GetOptions{})
	wantStatus(t, "Get as nobody", err, apierrors.IsForbidden)
	if err != nil && !strings.Contains(err.Error(), `cannot get resource "`+resource+`"`) {
		t.Errorf("Get as nobody: %v", err)
	}
	_, err = nobody.Create(ctx, newObj("other"), metav1.CreateOptions{})
	wantStatus(t, "Create as nobody", err, apierrors.IsForbidden)
	_, err = nobody.Update(ctx, updated, metav1.UpdateOptions{})
	wantStatus(t, "Update as nobody", err, apierrors.IsForbidden)
	wantStatus(t, "Delete as nobody", nobody.Delete(ctx, name, metav1.DeleteOptions{}), apierrors.IsForbidden)

	uid, rv := updated.GetUID(), updated.GetResourceVersion()
	if err := api.Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err = api.Get(ctx, name, metav1.GetOptions{})
	wantStatus(t, "Get after Delete", err, apierrors.IsNotFound)
	wantStatus(t, "Delete of a missing object", api.Delete(ctx, name, metav1.DeleteOptions{}), apierrors.IsNotFound)
}
