package steps_test

// Step-level tests against the sandbox (real HTTPS with its own CA) and the
// real Secret Service, under a test-only keyring service name so they never
// touch the entries of a real run.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

const testService = "nexus-onboard-test"

type fixture struct {
	sb    *sandbox.Sandbox
	kr    secrets.Store
	vals  steps.Values
	store steps.Store
}

func newFixture(t *testing.T, ccs ...string) *fixture {
	t.Helper()
	testkit.RequireKeyring(t)
	kr := secrets.Store{Service: testService}
	if len(ccs) == 0 {
		ccs = []string{testkit.UUID()}
	}
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{ContactCenters: ccs, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	t.Cleanup(func() {
		for _, cc := range ccs {
			kr.Delete(context.Background(), secrets.Account(cc, secrets.NexusAPIKey))
		}
		kr.Delete(context.Background(), secrets.ClientSecretAccount(sb.AuthURL, sandbox.DefaultClientID))
	})
	vals, _, problems := steps.Load(steps.Sources{ConfigPath: sb.ConfigFile})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	return &fixture{sb: sb, kr: kr, vals: vals, store: steps.Store{Dir: dir + "/state"}}
}

func (f *fixture) env(t *testing.T, opts steps.Options) *steps.Env {
	t.Helper()
	opts.Keyring = f.kr
	opts.HTTP = httpx.Options{BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	e, err := steps.NewEnv(f.vals.Clone(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func (f *fixture) run(t *testing.T, opts steps.Options, only ...string) (map[string]*steps.Record, error) {
	t.Helper()
	e := f.env(t, opts)
	sel, err := steps.Select(only, nil, e.In)
	if err != nil {
		t.Fatal(err)
	}
	if ps := sel.Preflight(context.Background(), e); len(ps) > 0 {
		return nil, ps
	}
	r := &steps.Runner{Env: e, Store: f.store, RetryDelay: time.Millisecond}
	defer r.Close()
	recs, err := r.Run(context.Background(), sel)
	out := map[string]*steps.Record{}
	for _, rec := range recs {
		out[rec.ID] = rec
	}
	return out, err
}

func TestContactCenterDiscovery(t *testing.T) {
	one := testkit.UUID()
	f := newFixture(t, one)
	f.vals.Set(steps.KeyCCID, "", steps.FromUser)
	recs, err := f.run(t, steps.Options{}, steps.IDContactCenter)
	if err != nil || recs[steps.IDContactCenter].Outputs["cc_id"] != one {
		t.Fatalf("one contact center: %v %+v", err, recs[steps.IDContactCenter])
	}

	a, b := testkit.UUID(), testkit.UUID()
	f2 := newFixture(t, a, b)
	f2.vals.Set(steps.KeyCCID, "", steps.FromUser)
	recs, err = f2.run(t, steps.Options{}, steps.IDContactCenter)
	msg := recs[steps.IDContactCenter].Error
	if err == nil || !strings.Contains(msg, a) || !strings.Contains(msg, b) || !strings.Contains(msg, "cc_id") {
		t.Fatalf("two contact centers: %v %q", err, msg)
	}

	f2.vals.Set(steps.KeyCCID, testkit.UUID(), steps.FromUser)
	recs, err = f2.run(t, steps.Options{}, steps.IDContactCenter)
	if err == nil || !strings.Contains(recs[steps.IDContactCenter].Error, "not known") {
		t.Fatalf("unknown cc: %v %+v", err, recs[steps.IDContactCenter])
	}
}

func TestAuthClientWithoutKnownSecretNeedsRotate(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient); err != nil {
		t.Fatal(err)
	}
	acct := steps.KeyringAccount(f.vals, steps.OutClientSecret)
	old, _ := f.kr.Get(context.Background(), acct)
	f.kr.Delete(context.Background(), acct)

	recs, err := f.run(t, steps.Options{}, steps.IDAuthClient)
	if err == nil || !strings.Contains(recs[steps.IDAuthClient].Error, "--rotate-secret") {
		t.Fatalf("want a refusal naming --rotate-secret: %v %+v", err, recs[steps.IDAuthClient])
	}

	recs, err = f.run(t, steps.Options{RotateSecret: true}, steps.IDAuthClient, steps.IDVerifyClient)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(recs[steps.IDAuthClient].Warning, "register-gws") {
		t.Errorf("rotation should say register-gws must follow: %+v", recs[steps.IDAuthClient])
	}
	if recs[steps.IDVerifyClient].Status != steps.StatusDone {
		t.Errorf("new secret not accepted: %+v", recs[steps.IDVerifyClient])
	}
	now, _ := f.kr.Get(context.Background(), acct)
	if now == "" || now == old {
		t.Error("the secret was not rotated")
	}
	if n := len(f.sb.Clients()); n != 1 {
		t.Errorf("%d clients", n)
	}
}

func TestMissingStoredOutputNamesTheStep(t *testing.T) {
	f := newFixture(t)
	_, err := f.run(t, steps.Options{}, steps.IDVerifyClient)
	if err == nil || !strings.Contains(err.Error(), "run step auth-client first") {
		t.Fatalf("err = %v", err)
	}
	recs, err := f.run(t, steps.Options{}, steps.IDDesignerEnv)
	if err != nil || recs[steps.IDDesignerEnv].Status != steps.StatusManual || !strings.Contains(recs[steps.IDDesignerEnv].Warning, "not in the keyring") {
		t.Fatalf("designer-env without a key: %v %+v", err, recs[steps.IDDesignerEnv])
	}
}

func TestTenantAlreadyExistsWarnsHowToGetTheKey(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDTenant); err != nil {
		t.Fatal(err)
	}
	f.kr.Delete(context.Background(), secrets.Account(f.sb.CCID, secrets.NexusAPIKey))
	recs, err := f.run(t, steps.Options{}, steps.IDTenant)
	if err != nil {
		t.Fatal(err)
	}
	rec := recs[steps.IDTenant]
	if rec.Status != steps.StatusAlreadyDone || !strings.Contains(rec.Warning, "secret-tool store") || !strings.Contains(rec.Warning, secrets.Account(f.sb.CCID, secrets.NexusAPIKey)) {
		t.Errorf("record %+v", rec)
	}
	if n := len(f.sb.Tenants()); n != 1 {
		t.Errorf("%d tenants", n)
	}
}

func TestRegisterGWSManualWithoutDatabase(t *testing.T) {
	f := newFixture(t)
	f.vals.Set(steps.KeyDBURL, "", steps.FromUser)
	recs, err := f.run(t, steps.Options{}, steps.IDAuthClient, steps.IDRegisterGWS)
	if err != nil {
		t.Fatal(err)
	}
	rec := recs[steps.IDRegisterGWS]
	secret, _ := f.kr.Get(context.Background(), steps.KeyringAccount(f.vals, steps.OutClientSecret))
	if rec.Status != steps.StatusManual || !strings.Contains(rec.Outputs["sql"], "nex_gapis") || strings.Contains(rec.Outputs["sql"], secret) {
		t.Errorf("record %+v", rec)
	}
}

func TestUCSSkippedWithoutURL(t *testing.T) {
	f := newFixture(t)
	f.vals.Set(steps.KeyUCSURL, "", steps.FromUser)
	recs, err := f.run(t, steps.Options{}, steps.IDUCSService)
	if err != nil || recs[steps.IDUCSService].Status != steps.StatusSkipped {
		t.Fatalf("%v %+v", err, recs[steps.IDUCSService])
	}
	if n := len(f.sb.UCSServices()); n != 0 {
		t.Errorf("%d UCS services", n)
	}
}

func TestWrongOpsPasswordIsActionable(t *testing.T) {
	f := newFixture(t)
	f.vals.Set(steps.KeyAdminPassword, "wrong-password-123", steps.FromUser)
	recs, err := f.run(t, steps.Options{}, steps.IDAuthClient)
	msg := recs[steps.IDAuthClient].Error
	if err == nil || !strings.Contains(msg, "401") || !strings.Contains(msg, "credentials") || strings.Contains(msg, "wrong-password-123") {
		t.Fatalf("err %v msg %q", err, msg)
	}
	if n := f.sb.Count("POST", "/auth/v3/ops/clients"); n != 0 {
		t.Errorf("%d creates with bad credentials", n)
	}
}

func TestPlanUsesTheClientsRequestBuilders(t *testing.T) {
	f := newFixture(t)
	e := f.env(t, steps.Options{})
	st, _ := steps.Lookup(steps.IDTenant)
	ps := steps.PlanOf(st, e)
	if len(ps) != 1 || ps[0].Method != "POST" || ps[0].URL != f.sb.NexusURL+"/nexus/v3/provisioning/tenants" {
		t.Fatalf("plan %+v", ps)
	}
	text := ps[0].String()
	if strings.Contains(text, f.sb.Opts.TenantPassword) || !strings.Contains(text, `"token": "****"`) || !strings.Contains(text, "Bearer ****") {
		t.Errorf("plan text:\n%s", text)
	}
	if n := len(f.sb.Requests()); n != 0 {
		t.Errorf("planning sent %d requests", n)
	}
}

func TestPreflightBlamesAStaleClientSecretNotThePassword(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(t, steps.Options{}, steps.IDAuthClient); err != nil {
		t.Fatal(err)
	}
	stale := "stale-secret-from-another-keyring-0123456789"
	f.kr.Set(context.Background(), steps.KeyringAccount(f.vals, steps.OutClientSecret), stale)
	e := f.env(t, steps.Options{})
	sel, _ := steps.Select(nil, nil, e.In)
	for _, c := range steps.PreflightChecks(e, sel) {
		if c.Name != "Tenant user can log in" {
			continue
		}
		_, err := c.Run(context.Background())
		if err == nil || !strings.Contains(err.Error(), "--rotate-secret") || strings.Contains(e.Redactor.Error(err), stale) {
			t.Fatalf("err = %v", err)
		}
		return
	}
	t.Fatal("no tenant login check")
}

func TestFixKeyNamesWhatFixesACheck(t *testing.T) {
	f := newFixture(t)
	vals := f.vals.Clone()
	vals.Set(steps.KeyCAFile, "", steps.FromUser) // the sandbox's CA is not trusted now
	e, err := steps.NewEnv(vals, steps.Options{Keyring: f.kr})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	sel, _ := steps.Select(nil, nil, e.In)
	found := false
	for _, c := range steps.PreflightChecks(e, sel) {
		if c.Key != steps.KeyAuthURL {
			continue
		}
		found = true
		_, err := c.Run(context.Background())
		if got := steps.FixKey(err, c.Key); err == nil || got != steps.KeyCAFile {
			t.Errorf("untrusted certificate: FixKey = %q (err %v)", got, err)
		}
	}
	if !found {
		t.Fatal("no Auth URL check")
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("probe: %w", secrets.ErrUnavailable), steps.FixKeyring},
		{fmt.Errorf("token: %w", steps.ErrStaleClientSecret), steps.FixClientSecret},
		{fmt.Errorf("401 Unauthorized"), steps.KeyTenantPass},
	} {
		if got := steps.FixKey(c.err, steps.KeyTenantPass); got != c.want {
			t.Errorf("FixKey(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
