package kube

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/testkit"
	authenticationv1 "k8s.io/api/authentication/v1"
)

// One API server serves every test of the package (testkit.StartKube);
// each test works in namespaces of its own.
func TestMain(m *testing.M) {
	code := m.Run()
	testkit.StopKube()
	os.Exit(code)
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// whoami returns the user the API server sees for client (NewClient's),
// from a SelfSubjectReview sent over its own REST client: its transport and
// credentials.
func whoami(t *testing.T, client API) string {
	t.Helper()
	raw, err := client.(*restAPI).core.Post().AbsPath("/apis/authentication.k8s.io/v1/selfsubjectreviews").
		SetHeader("Content-Type", "application/json").
		Body([]byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)).
		Do(ctxFor(t)).Raw()
	if err != nil {
		t.Fatalf("SelfSubjectReview: %v", err)
	}
	var r authenticationv1.SelfSubjectReview
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("SelfSubjectReview: %v\n%s", err, raw)
	}
	return r.Status.UserInfo.Username
}

// NewClient: an explicit kubeconfig and its context's namespace, then
// $KUBECONFIG, then a pod's service account; WithNamespace overrides each.
func TestNewClient(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	dir := t.TempDir()
	t.Setenv("KUBERNETES_SERVICE_HOST", "")

	withNS := filepath.Join(dir, "with-ns")
	if err := k.WriteKubeconfig(withNS, k.Config.BearerToken, ns); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "plain")
	if err := k.Kubeconfig(plain); err != nil {
		t.Fatal(err)
	}
	saToken := k.ServiceAccountToken(t, ns, "runner")
	pod := filepath.Join(dir, "serviceaccount")
	os.Mkdir(pod, 0o700)
	ca, _ := os.ReadFile(k.CAFile)
	for name, content := range map[string]string{"token": saToken, "ca.crt": string(ca), "namespace": ns} {
		if err := os.WriteFile(filepath.Join(pod, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, port, _ := splitHostPort(k.URL)

	for _, tc := range []struct {
		name, path, kubeconfigEnv string
		inPod                     bool
		opts                      []Option
		wantNS, wantUser          string
	}{
		{name: "kubeconfig context namespace", path: withNS, wantNS: ns, wantUser: "admin"},
		{name: "kubeconfig without namespace", path: plain, wantNS: "default", wantUser: "admin"},
		{name: "KUBECONFIG", kubeconfigEnv: withNS, wantNS: ns, wantUser: "admin"},
		{name: "explicit namespace", path: withNS, opts: []Option{WithNamespace("elsewhere")}, wantNS: "elsewhere", wantUser: "admin"},
		{name: "in a pod", inPod: true, kubeconfigEnv: plain, wantNS: ns, wantUser: "system:serviceaccount:" + ns + ":runner"},
		{name: "in a pod, explicit namespace", inPod: true, opts: []Option{WithNamespace("elsewhere")}, wantNS: "elsewhere", wantUser: "system:serviceaccount:" + ns + ":runner"},
		{name: "in a pod, explicit kubeconfig wins", inPod: true, path: plain, wantNS: "default", wantUser: "admin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tc.kubeconfigEnv)
			if tc.inPod {
				t.Setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
				t.Setenv("KUBERNETES_SERVICE_PORT", port)
				old := serviceAccountDir
				serviceAccountDir = pod
				t.Cleanup(func() { serviceAccountDir = old })
			}
			client, gotNS, err := NewClient(tc.path, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if gotNS != tc.wantNS {
				t.Errorf("namespace %q, want %q", gotNS, tc.wantNS)
			}
			if u := whoami(t, client); u != tc.wantUser {
				t.Errorf("authenticated as %q, want %q", u, tc.wantUser)
			}
		})
	}

	t.Run("no configuration", func(t *testing.T) {
		t.Setenv("KUBECONFIG", filepath.Join(dir, "absent"))
		t.Setenv("HOME", dir)
		if _, _, err := NewClient(""); err == nil {
			t.Fatal("NewClient without any configuration succeeded")
		}
	})
}

func TestNamesRefuseBadContactCenterIDs(t *testing.T) {
	for _, id := range []string{"", "a/b", "has space", "x" + string(make([]byte, 70))} {
		if _, err := NewSecretStore(nil, "ns", id); err == nil {
			t.Errorf("NewSecretStore(%q) accepted", id)
		}
	}
	if _, err := NewSecretStore(nil, "ns", "0F2D6E4C-6B1B-4F5A-9E55-2D1C7F3E9A10"); err != nil {
		t.Errorf("an upper-case UUID: %v", err)
	}
	if got := SecretName("0F2D6E4C-aa"); got != "nexus-onboard-0f2d6e4c-aa" {
		t.Errorf("SecretName lower-cases nothing: %q", got)
	}
}

func TestDataKeyContract(t *testing.T) {
	for account, want := range map[string]string{
		"cc1/nexus_api_key": "MNRTCL3OMV4HK427MFYGSX3LMV4Q",
		"auth.example.com:8443/auth/nexus_client/client_secret": "MF2XI2BOMV4GC3LQNRSS4Y3PNU5DQNBUGMXWC5LUNAXW4ZLYOVZV6Y3MNFSW45BPMNWGSZLOORPXGZLDOJSXI",
	} {
		key, err := DataKey(account)
		if err != nil || key != want {
			t.Errorf("DataKey(%q) = %q, %v; want %q", account, key, err, want)
		}
		back, err := AccountOf(key)
		if err != nil || back != account {
			t.Errorf("AccountOf(%q) = %q, %v", key, back, err)
		}
	}
	long := string(make([]byte, 159))
	if _, err := DataKey(long); err == nil {
		t.Error("a 159-byte account was given a data key")
	}
	if _, err := DataKey(long[:158]); err != nil {
		t.Errorf("a 158-byte account: %v", err)
	}
	if _, err := DataKey(""); err == nil {
		t.Error("an empty account was given a data key")
	}
	if !errors.Is(&ForeignError{}, ErrForeign) || !errors.Is(&LockedError{}, ErrLocked) {
		t.Error("typed errors do not match their sentinels")
	}
}
