package testkit

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) {
	code := m.Run()
	StopKube()
	os.Exit(code)
}

// The API server answers as the version .ci/kube builds, is shared by the
// tests of a binary, enforces RBAC on service accounts' tokens, and its
// kubeconfig works for a client-go user.
func TestStartKube(t *testing.T) {
	start := time.Now()
	k := StartKube(t)
	t.Logf("API server ready in %s (0 when an earlier test started it)", time.Since(start).Round(time.Millisecond))
	if again := StartKube(t); again != k {
		t.Error("a second StartKube started a second server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := k.Client.Discovery().ServerVersion()
	if err != nil || v.GitVersion != KubeVersion {
		t.Errorf("server version %v, %v; want %s", v, err, KubeVersion)
	}

	ns := k.Namespace(t)
	if ns2 := k.Namespace(t); ns2 == ns {
		t.Error("Namespace gave one name twice")
	}
	sa, err := kubernetes.NewForConfig(k.ConfigFor(k.ServiceAccountToken(t, ns, "nobody")))
	if err != nil {
		t.Fatal(err)
	}
	r, err := sa.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil || r.Status.UserInfo.Username != "system:serviceaccount:"+ns+":nobody" {
		t.Errorf("the token authenticates as %v (%v)", r, err)
	}
	if _, err := sa.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("a service account without a Role lists Secrets: %v", err)
	}

	path := filepath.Join(t.TempDir(), "config")
	if err := k.Kubeconfig(path); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("the admin kubeconfig: %v", err)
	}
}

func TestKubeAssetsSaysHowToBuild(t *testing.T) {
	t.Setenv(KubeAssetsEnv, t.TempDir())
	_, err := KubeAssets()
	if err == nil || !strings.Contains(err.Error(), "bash .ci/kube") {
		t.Errorf("KubeAssets of an empty folder: %v", err)
	}
}
