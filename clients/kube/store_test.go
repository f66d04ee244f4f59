package kube

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/testkit"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func splitHostPort(rawURL string) (host, port string, err error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", err
	}
	return u.Hostname(), u.Port(), nil
}

// Accounts shaped as the real ones: an Auth URL with a port and a path,
// and a contact center's.
const (
	ccID          = "0f2d6e4c-6b1b-4f5a-9e55-2d1c7f3e9a10"
	clientAccount = "auth.example.com:8443/auth/nexus_client/client_secret"
	apiKeyAccount = ccID + "/nexus_api_key"
)

func TestSecretStoreRoundTrip(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	ctx := ctxFor(t)
	s, err := NewSecretStore(adminAPI(t, k), ns, strings.ToUpper(ccID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, apiKeyAccount); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get before any Set: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, apiKeyAccount); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Delete before any Set: %v, want ErrNotFound", err)
	}
	values := map[string]string{clientAccount: "client-secret-value-1", apiKeyAccount: "api-key-value-1"}
	for a, v := range values {
		if err := s.Set(ctx, a, v); err != nil {
			t.Fatalf("Set %s: %v", a, err)
		}
	}
	if err := s.Set(ctx, apiKeyAccount, "api-key-value-2"); err != nil {
		t.Fatal(err)
	}
	values[apiKeyAccount] = "api-key-value-2"
	for a, v := range values {
		if got, err := s.Get(ctx, a); err != nil || got != v {
			t.Errorf("Get %s = %q, %v; want %q", a, got, err, v)
		}
	}

	// The Secret as scripts and the Role see it.
	sec, err := k.Client.CoreV1().Secrets(ns).Get(ctx, "nexus-onboard-"+ccID, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Secret is not named nexus-onboard-<cc_id>: %v", err)
	}
	wantLabels := map[string]string{
		"app.kubernetes.io/managed-by": "nexus-onboard", "app.kubernetes.io/name": "nexus-onboard",
		"app.kubernetes.io/component": "secrets", "nexus-onboard.io/cc-id": ccID,
	}
	for l, v := range wantLabels {
		if sec.Labels[l] != v {
			t.Errorf("label %s = %q, want %q", l, sec.Labels[l], v)
		}
	}
	if sec.Type != corev1.SecretTypeOpaque {
		t.Errorf("type %q", sec.Type)
	}
	if sec.Immutable == nil || *sec.Immutable {
		t.Errorf("immutable = %v, want an explicit false", sec.Immutable)
	}
	var accounts map[string]string
	if err := json.Unmarshal([]byte(sec.Annotations["nexus-onboard.io/accounts"]), &accounts); err != nil {
		t.Fatalf("annotation nexus-onboard.io/accounts: %v", err)
	}
	if len(sec.Data) != 2 || len(accounts) != 2 {
		t.Errorf("%d data keys, %d annotated accounts; want 2 and 2", len(sec.Data), len(accounts))
	}
	for a, v := range values {
		key, _ := DataKey(a) // base32, checked against `base32` in TestDataKeyContract
		if string(sec.Data[key]) != v {
			t.Errorf("data[%s] does not hold %s", key, a)
		}
		if accounts[key] != a {
			t.Errorf("annotation maps %s to %q, want %q", key, accounts[key], a)
		}
	}

	if err := s.Delete(ctx, apiKeyAccount); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, apiKeyAccount); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if got, err := s.Get(ctx, clientAccount); err != nil || got != values[clientAccount] {
		t.Errorf("the other account after Delete: %q, %v", got, err)
	}
	if err := s.Delete(ctx, clientAccount); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Client.CoreV1().Secrets(ns).Get(ctx, s.Name(), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Secret outlives its last key: %v", err)
	}
}

func TestSecretStoreProbe(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	ctx := ctxFor(t)
	s, _ := NewSecretStore(adminAPI(t, k), ns, ccID)
	// Absent: the probe creates the Secret and deletes it again.
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe with no Secret: %v", err)
	}
	if _, err := k.Client.CoreV1().Secrets(ns).Get(ctx, s.Name(), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Probe left a Secret behind: %v", err)
	}
	// Present: the probe leaves what is there as it was.
	if err := s.Set(ctx, apiKeyAccount, "kept"); err != nil {
		t.Fatal(err)
	}
	if err := s.Probe(ctx); err != nil {
		t.Fatalf("Probe with a Secret: %v", err)
	}
	sec, err := k.Client.CoreV1().Secrets(ns).Get(ctx, s.Name(), metav1.GetOptions{})
	if err != nil || len(sec.Data) != 1 {
		t.Fatalf("after Probe: %v, data keys %d; want the one key", err, len(sec.Data))
	}
	if v, _ := s.Get(ctx, apiKeyAccount); v != "kept" {
		t.Errorf("Probe changed an entry: %q", v)
	}
}

// Parallel writers of one Secret lose no entry: create races end in an
// update, conflicts are retried.
func TestSecretStoreConcurrentSets(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	ctx := ctxFor(t)
	s, _ := NewSecretStore(adminAPI(t, k), ns, ccID)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = s.Set(ctx, fmt.Sprintf("%s/account%d", ccID, i), "v") })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	for i := range errs {
		if _, err := s.Get(ctx, fmt.Sprintf("%s/account%d", ccID, i)); err != nil {
			t.Errorf("account%d: %v", i, err)
		}
	}
}

// No secret value shows anywhere but in the Secret's data: not in another
// object, an annotation, a label, an event, or an error.
func TestSecretValuesStayInSecretData(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	ctx := ctxFor(t)
	s, _ := NewSecretStore(adminAPI(t, k), ns, ccID)
	const value = "sentinel-7f3a9c-secret-value"
	if err := s.Set(ctx, clientAccount, value); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, apiKeyAccount, value); err != nil {
		t.Fatal(err)
	}
	if err := s.Probe(ctx); err != nil {
		t.Fatal(err)
	}
	state := NewStateStore(adminAPI(t, k), ns)
	if err := state.Save(ctx, ccID, []byte(`{"cc_id":"`+ccID+`"}`)); err != nil {
		t.Fatal(err)
	}
	// Errors along the way: a value must not be in them either.
	var errTexts []string
	if err := s.Set(ctx, strings.Repeat("x", 200), value); err != nil {
		errTexts = append(errTexts, err.Error())
	}
	foreign, _ := NewSecretStore(adminAPI(t, k), ns, "someone-else")
	k.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: foreign.Name()}}, metav1.CreateOptions{})
	if err := foreign.Set(ctx, apiKeyAccount, value); err != nil {
		errTexts = append(errTexts, err.Error())
	}
	if len(errTexts) != 2 {
		t.Fatalf("expected two errors, got %q", errTexts)
	}

	encodings := []string{value, b64(value)}
	found := func(where, text string) {
		for _, e := range encodings {
			if strings.Contains(text, e) {
				t.Errorf("a secret value shows in %s", where)
			}
		}
	}
	for _, e := range errTexts {
		found("an error: "+e, e)
	}
	sec, err := k.Client.CoreV1().Secrets(ns).Get(ctx, s.Name(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(sec.ObjectMeta) // labels, annotations, managed fields
	found("the Secret's metadata", string(meta))
	cms, _ := k.Client.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	events, _ := k.Client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	leases, _ := k.Client.CoordinationV1().Leases(ns).List(ctx, metav1.ListOptions{})
	for what, obj := range map[string]any{"ConfigMaps": cms, "Events": events, "Leases": leases} {
		b, _ := json.Marshal(obj)
		found(what, string(b))
	}
}

func b64(s string) string {
	return strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(s)), "=")
}

// Objects of nexus-onboard's names that lack its managed-by label are
// someone else's: read nor changed nor deleted.
func TestForeignObjectsAreRefused(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	ctx := ctxFor(t)
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Labels: map[string]string{"nexus-onboard.io/cc-id": ccID, "app.kubernetes.io/component": "state"}}
	}
	if _, err := k.Client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: meta(SecretName(ccID)), StringData: map[string]string{"x": "theirs"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.Client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: meta(StateName(ccID)), Data: map[string]string{StateKey: "theirs"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hour := int32(3600)
	if _, err := k.Client.CoordinationV1().Leases(ns).Create(ctx, &coordinationv1.Lease{ObjectMeta: meta(LeaseName(ccID)), Spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: &hour}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	s, _ := NewSecretStore(adminAPI(t, k), ns, ccID)
	state := NewStateStore(adminAPI(t, k), ns)
	_, err := s.Get(ctx, apiKeyAccount)
	errs := map[string]error{
		"Secret Get":    err,
		"Secret Set":    s.Set(ctx, apiKeyAccount, "v"),
		"Secret Delete": s.Delete(ctx, apiKeyAccount),
		"Secret Probe":  s.Probe(ctx),
	}
	_, _, errs["state Load"] = state.Load(ctx, ccID)
	errs["state Save"] = state.Save(ctx, ccID, []byte("{}"))
	errs["state Delete"] = state.Delete(ctx, ccID)
	_, errs["Lock"] = state.Lock(ctx, ccID, "me", time.Minute)
	for what, err := range errs {
		var fe *ForeignError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "not managed by nexus-onboard") {
			t.Errorf("%s on someone else's object: %v, want ErrForeign", what, err)
		}
	}
	if ids, err := state.List(ctx); err != nil || len(ids) != 0 {
		t.Errorf("List = %v, %v; someone else's ConfigMap is not a state", ids, err)
	}
	cm, _ := k.Client.CoreV1().ConfigMaps(ns).Get(ctx, StateName(ccID), metav1.GetOptions{})
	sec, _ := k.Client.CoreV1().Secrets(ns).Get(ctx, SecretName(ccID), metav1.GetOptions{})
	if cm.Data[StateKey] != "theirs" || string(sec.Data["x"]) != "theirs" || len(sec.Data) != 1 {
		t.Error("someone else's objects were changed")
	}
}

func TestStateStore(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	ctx := ctxFor(t)
	s := NewStateStore(adminAPI(t, k), ns)
	if _, found, err := s.Load(ctx, ccID); err != nil || found {
		t.Fatalf("Load of nothing: found=%v, %v", found, err)
	}
	if err := s.Save(ctx, ccID, []byte(`{"v":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, ccID, []byte(`{"v":2}`)); err != nil {
		t.Fatalf("second Save: %v", err)
	}
	other := "1a2b3c4d-0000-4000-8000-000000000001"
	if err := NewStateStore(adminAPI(t, k), ns).Save(ctx, other, []byte(`{}`)); err != nil {
		t.Fatalf("Save without Load: %v", err)
	}
	data, found, err := s.Load(ctx, strings.ToUpper(ccID))
	if err != nil || !found || string(data) != `{"v":2}` {
		t.Fatalf("Load = %s, %v, %v", data, found, err)
	}
	cm, err := k.Client.CoreV1().ConfigMaps(ns).Get(ctx, "nexus-onboard-state-"+ccID, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["state.json"] != `{"v":2}` || cm.Labels["app.kubernetes.io/managed-by"] != "nexus-onboard" ||
		cm.Labels["nexus-onboard.io/cc-id"] != ccID || cm.Labels["app.kubernetes.io/name"] != "nexus-onboard" {
		t.Errorf("ConfigMap data %v labels %v", cm.Data, cm.Labels)
	}
	if ids, err := s.List(ctx); err != nil || !slices.Equal(ids, []string{ccID, other}) {
		t.Errorf("List = %v, %v", ids, err)
	}

	// Optimistic concurrency: a store whose view is stale does not write.
	a, b := NewStateStore(adminAPI(t, k), ns), NewStateStore(adminAPI(t, k), ns)
	a.Load(ctx, ccID)
	b.Load(ctx, ccID)
	if err := a.Save(ctx, ccID, []byte(`{"by":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, ccID, []byte(`{"by":"b"}`)); !errors.Is(err, ErrConflict) {
		t.Errorf("Save over a newer state: %v, want ErrConflict", err)
	}
	fresh := "1a2b3c4d-0000-4000-8000-000000000002"
	a.Load(ctx, fresh)
	b.Load(ctx, fresh)
	a.Save(ctx, fresh, []byte(`{}`))
	if err := b.Save(ctx, fresh, []byte(`{}`)); !errors.Is(err, ErrConflict) {
		t.Errorf("Save of a state created meanwhile: %v, want ErrConflict", err)
	}
	if err := s.Save(ctx, ccID, []byte{0xff}); err == nil {
		t.Error("Save of bytes that are not UTF-8 succeeded")
	}

	if err := s.Delete(ctx, ccID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, ccID); err != nil {
		t.Errorf("Delete of nothing: %v", err)
	}
	if _, found, _ := s.Load(ctx, ccID); found {
		t.Error("found after Delete")
	}
	if err := s.Save(ctx, ccID, []byte(`{"v":3}`)); err != nil {
		t.Errorf("Save after Delete: %v", err)
	}
}

func TestLock(t *testing.T) {
	k := testkit.StartKube(t)
	ns := k.Namespace(t)
	ctx := ctxFor(t)
	s := NewStateStore(adminAPI(t, k), ns)
	leases := k.Client.CoordinationV1().Leases(ns)

	t.Run("second holder refused, renewal keeps it, unlock releases", func(t *testing.T) {
		unlock, err := s.Lock(ctx, ccID, "run-a@host1", 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer unlock()
		le, err := leases.Get(ctx, "nexus-onboard-"+ccID, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *le.Spec.HolderIdentity != "run-a@host1" || *le.Spec.LeaseDurationSeconds != 2 || le.Labels[LabelManagedBy] != ManagedBy || le.Labels[LabelCCID] != ccID {
			t.Errorf("Lease spec %+v labels %v", le.Spec, le.Labels)
		}
		first := le.Spec.RenewTime.Time
		_, err = s.Lock(ctx, ccID, "run-b@host2", 2*time.Second)
		var le2 *LockedError
		if !errors.As(err, &le2) || !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "run-a@host1") {
			t.Fatalf("second Lock: %v, want a LockedError naming run-a@host1", err)
		}
		time.Sleep(3500 * time.Millisecond) // beyond the 2 s the Lease lasts unrenewed
		if _, err := s.Lock(ctx, ccID, "run-b@host2", 2*time.Second); !errors.Is(err, ErrLocked) {
			t.Fatalf("Lock after the duration, holder alive: %v, want ErrLocked", err)
		}
		le, _ = leases.Get(ctx, "nexus-onboard-"+ccID, metav1.GetOptions{})
		if !le.Spec.RenewTime.Time.After(first) {
			t.Errorf("renewTime not moved: %v", le.Spec.RenewTime)
		}
		unlock()
		unlock() // twice is harmless
		if _, err := leases.Get(ctx, "nexus-onboard-"+ccID, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("Lease after unlock: %v", err)
		}
		unlockB, err := s.Lock(ctx, ccID, "run-b@host2", 2*time.Second)
		if err != nil {
			t.Fatalf("Lock after unlock: %v", err)
		}
		unlockB()
	})

	t.Run("a dead holder's lease expires and is taken over", func(t *testing.T) {
		// A run that took the lock and died: no renewal, no release.
		dead := &lease{api: adminAPI(t, k).Leases(ns), namespace: ns, name: LeaseName(ccID), ccID: ccID, holder: "dead-run", secs: 1}
		if err := dead.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Lock(ctx, ccID, "next-run", time.Second); !errors.Is(err, ErrLocked) {
			t.Fatalf("Lock within the dead run's second: %v", err)
		}
		time.Sleep(1500 * time.Millisecond)
		unlock, err := s.Lock(ctx, ccID, "next-run", time.Second)
		if err != nil {
			t.Fatalf("Lock after expiry: %v", err)
		}
		le, _ := leases.Get(ctx, LeaseName(ccID), metav1.GetOptions{})
		if *le.Spec.HolderIdentity != "next-run" || le.Spec.LeaseTransitions == nil || *le.Spec.LeaseTransitions != 1 {
			t.Errorf("after takeover: holder %q transitions %v", *le.Spec.HolderIdentity, le.Spec.LeaseTransitions)
		}
		// The dead run's release, were it to come back, leaves it alone.
		dead.release()
		if _, err := leases.Get(ctx, LeaseName(ccID), metav1.GetOptions{}); err != nil {
			t.Errorf("a stale release removed the new holder's Lease: %v", err)
		}
		unlock()
	})

	t.Run("two runs at once: one wins", func(t *testing.T) {
		cc := "1a2b3c4d-0000-4000-8000-00000000000c"
		var wg sync.WaitGroup
		var mu sync.Mutex
		var won, refused int
		for i := range 4 {
			wg.Go(func() {
				unlock, err := s.Lock(ctx, cc, fmt.Sprintf("run-%d", i), 5*time.Second)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					won++
					t.Cleanup(unlock)
				case errors.Is(err, ErrLocked):
					refused++
				default:
					t.Errorf("run-%d: %v", i, err)
				}
			})
		}
		wg.Wait()
		if won != 1 || refused != 3 {
			t.Errorf("%d won, %d refused; want 1 and 3", won, refused)
		}
	})
}

// The verbs the package comment lists, resource by resource: what the
// deployment's Role must grant.
var roleRules = []rbacv1.PolicyRule{
	{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "create", "update", "delete"}},
	{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list", "create", "update", "delete"}},
	{APIGroups: []string{"coordination.k8s.io"}, Resources: []string{"leases"}, Verbs: []string{"get", "create", "update", "delete"}},
}

// everything does all the package does, as a run would: probe, keep and
// forget secrets, save, list and delete state, take a lock over and give it
// back.
func everything(t *testing.T, admin kubernetes.Interface, client API, ns string) error {
	ctx := ctxFor(t)
	s, _ := NewSecretStore(client, ns, ccID)
	if err := s.Probe(ctx); err != nil {
		return err
	}
	for _, a := range []string{clientAccount, apiKeyAccount} {
		if err := s.Set(ctx, a, "v"); err != nil {
			return err
		}
		if _, err := s.Get(ctx, a); err != nil {
			return err
		}
	}
	if err := s.Probe(ctx); err != nil {
		return err
	}
	for _, a := range []string{clientAccount, apiKeyAccount} {
		if err := s.Delete(ctx, a); err != nil {
			return err
		}
	}
	state := NewStateStore(client, ns)
	for _, step := range []func() error{
		func() error { _, _, err := state.Load(ctx, ccID); return err },
		func() error { return state.Save(ctx, ccID, []byte(`{}`)) },
		func() error { return state.Save(ctx, ccID, []byte(`{"again":true}`)) },
		func() error { _, err := state.List(ctx); return err },
		func() error { return state.Delete(ctx, ccID) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	unlock, err := state.Lock(ctx, ccID, "least-privilege", 10*time.Second)
	if err != nil {
		return err
	}
	unlock()
	// A dead run's Lease, taken over (update), then released (delete).
	past := metav1.NewMicroTime(time.Now().Add(-time.Hour))
	one, dead := int32(1), "dead"
	if _, err := admin.CoordinationV1().Leases(ns).Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: LeaseName(ccID), Labels: labels(ccID, "lock")},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &dead, LeaseDurationSeconds: &one, RenewTime: &past},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	unlock, err = state.Lock(ctx, ccID, "least-privilege", 10*time.Second)
	if err != nil {
		return err
	}
	unlock()
	if _, err := admin.CoordinationV1().Leases(ns).Get(ctx, LeaseName(ccID), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		return fmt.Errorf("Lease not released: %v", err)
	}
	return nil
}

// A service account bound to a Role with exactly roleRules can do
// everything; with any one verb taken away, it fails with an error naming
// that verb and resource.
func TestLeastPrivilegeRole(t *testing.T) {
	k := testkit.StartKube(t)
	type removal struct{ resource, verb string }
	cases := []removal{{}}
	for _, r := range roleRules {
		for _, v := range r.Verbs {
			cases = append(cases, removal{r.Resources[0], v})
		}
	}
	for _, c := range cases {
		name := "all verbs"
		if c.verb != "" {
			name = "without " + c.verb + " " + c.resource
		}
		t.Run(name, func(t *testing.T) {
			ns := k.Namespace(t)
			var rules []rbacv1.PolicyRule
			for _, r := range roleRules {
				r := *r.DeepCopy()
				if r.Resources[0] == c.resource {
					r.Verbs = slices.DeleteFunc(r.Verbs, func(v string) bool { return v == c.verb })
				}
				rules = append(rules, r)
			}
			client := boundClient(t, k, ns, rules)
			err := everything(t, k.Client, client, ns)
			if c.verb == "" {
				if err != nil {
					t.Fatalf("with exactly the listed verbs: %v", err)
				}
				return
			}
			var fe *ForbiddenError
			if !errors.As(err, &fe) {
				t.Fatalf("want a ForbiddenError for %s %s, got %v", c.verb, c.resource, err)
			}
			if fe.Verb != c.verb || fe.Resource != c.resource {
				t.Errorf("ForbiddenError names %s %s, want %s %s", fe.Verb, fe.Resource, c.verb, c.resource)
			}
			if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("grant the service account the verb %q on resource %q", c.verb, c.resource)) {
				t.Errorf("message does not say what to grant: %s", msg)
			}
		})
	}
}

// boundClient returns the API (NewForConfig) for a fresh service account
// in ns bound to a Role of rules, once the API server's RBAC cache has the
// binding.
func boundClient(t *testing.T, k *testkit.Kube, ns string, rules []rbacv1.PolicyRule) API {
	t.Helper()
	ctx := ctxFor(t)
	rbac := k.Client.RbacV1()
	if _, err := rbac.Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "nexus-onboard"}, Rules: rules}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "nexus-onboard"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "nexus-onboard"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "nexus-onboard", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cfg := k.ConfigFor(k.ServiceAccountToken(t, ns, "nexus-onboard"))
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The authorizer reads bindings from a cache: wait until it allows
	// the first rule's first verb.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: ns, Verb: rules[0].Verbs[0], Group: rules[0].APIGroups[0], Resource: rules[0].Resources[0],
			}},
		}, metav1.CreateOptions{})
		if err == nil && r.Status.Allowed {
			return apiFor(t, cfg)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Role binding never took effect: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
