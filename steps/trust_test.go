package steps_test

// Issue "Done means done, resume always resumes": each case a user found,
// replayed against the sandbox and the real keyring.

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// Case 1: a key in the keyring is no evidence that this environment has
// the tenant. A fresh server with a stale key from elsewhere provisions the
// tenant and stores the new key.
func TestTenantIsProvisionedDespiteAStaleKeyFromAnotherEnvironment(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	stale := "stale-api-key-of-another-environment-0123"
	if err := f.kr.Set(ctx, secrets.Account(f.sb.CCID, secrets.NexusAPIKey), stale); err != nil {
		t.Fatal(err)
	}
	recs, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDTenant, steps.IDDesignerEnv)
	if err != nil {
		t.Fatal(err)
	}
	if rec := recs[steps.IDTenant]; rec.Status != steps.StatusDone {
		t.Fatalf("tenant %s, want done (provisioned): %+v", rec.Status, rec)
	}
	tenants := f.sb.Tenants()
	if len(tenants) != 1 {
		t.Fatalf("%d tenants at the server", len(tenants))
	}
	got, _ := f.kr.Get(ctx, secrets.Account(f.sb.CCID, secrets.NexusAPIKey))
	if got == stale || got == "" || got != tenants[0]["xapikey"] {
		t.Errorf("keyring holds %q, want the new key the server issued", got)
	}
	if w := recs[steps.IDDesignerEnv].Warning; w != "" {
		t.Errorf("designer-env warns with the new key stored: %s", w)
	}
}

// Case 1, the other half: the tenant exists, and the keyring holds a key
// no run against this environment stored: it is not shown as this
// tenant's; the warning names the mismatch and the remedy.
func TestExistingTenantDoesNotAdoptAKeyItCannotVouchFor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDTenant); err != nil {
		t.Fatal(err)
	}
	// Another state dir: nothing records that this environment stored the key.
	f.store = steps.Store{Dir: t.TempDir()}
	stale := "stale-api-key-of-another-environment-4567"
	f.kr.Set(ctx, secrets.Account(f.sb.CCID, secrets.NexusAPIKey), stale)
	recs, err := f.run(t, steps.Options{}, steps.IDTenant, steps.IDDesignerEnv)
	if err != nil {
		t.Fatal(err)
	}
	rec := recs[steps.IDTenant]
	if rec.Status != steps.StatusAlreadyDone || !strings.Contains(rec.Warning, "not known to be this tenant's") || !strings.Contains(rec.Warning, "secrets delete") {
		t.Errorf("tenant record %+v", rec)
	}
	if _, ok := rec.Outputs["key_in"]; ok {
		t.Errorf("tenant claims the key: %+v", rec.Outputs)
	}
	if w := recs[steps.IDDesignerEnv].Warning; !strings.Contains(w, "not known to be this tenant's") {
		t.Errorf("designer-env warning %q", w)
	}
	e := f.env(t, steps.Options{})
	if _, found, ours, why, _ := steps.TenantKey(ctx, e); !found || ours || why == "" {
		t.Errorf("TenantKey vouches for a stale key (found %v ours %v %q)", found, ours, why)
	}
}

// Case 3: the secret is stored before the POST; an interruption between the
// two (the client never made) must neither fail preflight nor need a
// rotation: the next run creates the client with the stored secret.
func TestInterruptedBeforeTheClientExistsResumesWithoutRotation(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	intended := "intended-secret-stored-before-the-POST-0123456"
	f.kr.Set(ctx, steps.KeyringAccount(f.vals, steps.OutClientSecret), intended)

	e := f.env(t, steps.Options{})
	sel, _ := steps.Select(nil, nil, e.In)
	for _, r := range steps.RunChecks(ctx, e, steps.PreflightChecks(e, sel), nil) {
		if r.Failed() {
			t.Errorf("preflight %s failed: %s", r.Name, r.Err)
		}
		if r.Name == "Tenant user can log in" && !r.NotChecked {
			t.Errorf("tenant login %+v, want not checked (the client does not exist yet)", r)
		}
	}
	recs, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDVerifyClient)
	if err != nil {
		t.Fatal(err)
	}
	if recs[steps.IDAuthClient].Status != steps.StatusDone {
		t.Errorf("auth-client %+v", recs[steps.IDAuthClient])
	}
	if got, _ := f.kr.Get(ctx, steps.KeyringAccount(f.vals, steps.OutClientSecret)); got != intended {
		t.Errorf("the stored secret was replaced")
	}
}

// Case 3, the POST landed but the answer and the state were lost: the
// client exists with the intended secret, so it is ours and done.
func TestInterruptedAfterThePOSTIsDoneByAuthsWord(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient); err != nil {
		t.Fatal(err)
	}
	f.store = steps.Store{Dir: t.TempDir()} // the state never heard of it
	e := f.env(t, steps.Options{})
	sel, _ := steps.Select(nil, nil, e.In)
	for _, r := range steps.RunChecks(ctx, e, steps.PreflightChecks(e, sel), nil) {
		if r.Failed() || r.NotChecked && r.Name == "Tenant user can log in" {
			t.Errorf("preflight %s: %+v", r.Name, r)
		}
	}
	recs, err := f.run(t, steps.Options{}, steps.IDAuthClient)
	if err != nil || recs[steps.IDAuthClient].Status != steps.StatusAlreadyDone {
		t.Fatalf("%v %+v", err, recs[steps.IDAuthClient])
	}
	if n := f.sb.Count("PUT", "/auth/v3/ops/clients/nexus_client"); n != 0 {
		t.Errorf("%d rotations", n)
	}
}

// Case 8: the client and its secret belong to the environment. A second
// contact center of the same environment reuses them and never rotates;
// the first one keeps working.
func TestSecondContactCenterReusesTheEnvironmentsClient(t *testing.T) {
	a, b := testkit.UUID(), testkit.UUID()
	f := newFixture(t, a, b)
	ctx := context.Background()
	f.vals.Set(steps.KeyCCID, a, steps.FromUser)
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDVerifyClient, steps.IDRegisterGWS, steps.IDTenant); err != nil {
		t.Fatal(err)
	}
	f.vals.Set(steps.KeyCCID, b, steps.FromUser)
	recs, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDVerifyClient, steps.IDRegisterGWS, steps.IDTenant)
	if err != nil {
		t.Fatalf("second contact center: %v", err)
	}
	if recs[steps.IDAuthClient].Status != steps.StatusAlreadyDone {
		t.Errorf("auth-client for the second contact center: %s, want already-done", recs[steps.IDAuthClient].Status)
	}
	if recs[steps.IDTenant].Status != steps.StatusDone {
		t.Errorf("tenant of the second contact center %+v", recs[steps.IDTenant])
	}
	if n := len(f.sb.Clients()); n != 1 {
		t.Errorf("%d auth clients, want the one shared", n)
	}
	if n := f.sb.Count("PUT", "/auth/v3/ops/clients/nexus_client"); n != 0 {
		t.Errorf("%d rotations", n)
	}
	f.vals.Set(steps.KeyCCID, a, steps.FromUser)
	if recs, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDVerifyClient); err != nil {
		t.Fatalf("the first contact center after the second: %v %+v", err, recs)
	}
	for _, cc := range []string{a, b} {
		if _, err := f.kr.Get(ctx, secrets.LegacyClientSecretAccount(cc)); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("a per-contact-center client secret entry exists for %s: %v", cc, err)
		}
	}
}

// Case 8, upgrade: a secret an older version kept under <cc_id>/client_secret
// moves to the environment's account when Auth accepts it, and is left
// alone (named once) when Auth refuses it.
func TestLegacyClientSecretEntriesMoveOnlyWhenAuthAcceptsThem(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient); err != nil {
		t.Fatal(err)
	}
	acct := steps.KeyringAccount(f.vals, steps.OutClientSecret)
	secret, _ := f.kr.Get(ctx, acct)
	f.kr.Delete(ctx, acct)
	legacy := secrets.LegacyClientSecretAccount(strings.ToUpper(f.sb.CCID))
	f.kr.Set(ctx, legacy, secret)
	t.Cleanup(func() { f.kr.Delete(ctx, legacy) })

	var warned []string
	recs, err := f.run(t, steps.Options{Warn: func(s string) { warned = append(warned, s) }}, steps.IDAuthClient, steps.IDVerifyClient)
	if err != nil || recs[steps.IDAuthClient].Status != steps.StatusAlreadyDone {
		t.Fatalf("%v %+v", err, recs)
	}
	if got, _ := f.kr.Get(ctx, acct); got != secret {
		t.Errorf("not moved to %s", acct)
	}
	if _, err := f.kr.Get(ctx, legacy); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("legacy entry still there: %v", err)
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "moved") {
		t.Errorf("warnings %q", warned)
	}

	// Another environment's secret under the legacy account stays put.
	f.kr.Delete(ctx, acct)
	other := "secret-of-another-environment-0123456789abcdef"
	f.kr.Set(ctx, legacy, other)
	warned = nil
	recs, err = f.run(t, steps.Options{Warn: func(s string) { warned = append(warned, s) }}, steps.IDAuthClient)
	if err == nil {
		t.Fatal("want a refusal: Auth does not accept the legacy entry")
	}
	if recs[steps.IDAuthClient].Fix != steps.FixRotateSecret {
		t.Errorf("auth-client fix %q", recs[steps.IDAuthClient].Fix)
	}
	if got, _ := f.kr.Get(ctx, legacy); got != other {
		t.Errorf("another environment's entry was touched")
	}
	if len(warned) != 1 || !strings.Contains(warned[0], "left alone") || strings.Contains(warned[0], other) {
		t.Errorf("warnings %q", warned)
	}
}

// Remedies run as printed: the rotate command repeats --config and
// --state-dir.
func TestSuggestedCommandsRepeatConfigAndStateDir(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient); err != nil {
		t.Fatal(err)
	}
	f.kr.Set(ctx, steps.KeyringAccount(f.vals, steps.OutClientSecret), "changed-elsewhere-0123456789abcdefghijklmnop")
	iv := steps.Invocation{Config: "/etc/nexus onboard/t.yaml", StateDir: "/var/lib/nx"}
	recs, err := f.run(t, steps.Options{Invocation: iv}, steps.IDAuthClient)
	if err == nil {
		t.Fatal("stale secret accepted")
	}
	want := "nexus-onboard run --only auth-client,register-gws --rotate-secret --config '/etc/nexus onboard/t.yaml' --state-dir /var/lib/nx"
	if msg := recs[steps.IDAuthClient].Error; !strings.Contains(msg, want) {
		t.Errorf("error %q\nwant it to hold %q", msg, want)
	}
}

// The state records which environment each stored secret belongs to.
func TestStateRecordsWhereEachSecretBelongs(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDTenant); err != nil {
		t.Fatal(err)
	}
	st, err := f.store.Load(f.sb.CCID)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{steps.OutClientSecret, steps.OutAPIKey} {
		o, ok := st.Secrets[name]
		if !ok || o.AuthURL != f.sb.AuthURL || o.NexusURL != f.sb.NexusURL || o.Account != steps.KeyringAccount(f.vals, name) {
			t.Errorf("origin of %s: %+v", name, o)
		}
	}
}

var _ = gws.ErrNotFound
