package cli

// reset without cobra: it refuses without a state, shows its plan and asks
// before it changes anything, and removes keyring entries from App.Keyring.

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// resetWorld is reset's options on planConfig, an empty state dir and an
// in-memory keyring holding both of the contact center's secrets.
func resetWorld(t *testing.T) (*resetOptions, *secrets.Memory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	kr := memoryWith(t, secrets.ClientSecretAccount(testAuthURL, defaultClientID()), secrets.Account(stateCC, secrets.NexusAPIKey))
	a, stdout, stderr := testApp(kr, steps.EnvPrefix+"GWS_ADMIN_PASSWORD=ops-pw-1234")
	opts := &resetOptions{app: a}
	opts.stateDir = filepath.Join(t.TempDir(), "state")
	opts.config = writeConfig(t, planConfig, 0o600)
	return opts, kr, stdout, stderr
}

func TestResetRefusesWithoutAState(t *testing.T) {
	opts, kr, stdout, _ := resetWorld(t)
	opts.yes = true
	err := resetRun(context.Background(), opts)
	if exitCodeOf(err) != app.ExitUsage {
		t.Fatalf("exit %d (%v), want %d", exitCodeOf(err), err, app.ExitUsage)
	}
	for _, want := range []string{"no state for contact center " + stateCC, opts.stateDir, "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not say %q: %v", want, err)
		}
	}
	if stdout.Len() != 0 {
		t.Errorf("a plan without a state:\n%s", stdout)
	}
	for _, acct := range []string{secrets.ClientSecretAccount(testAuthURL, defaultClientID()), secrets.Account(stateCC, secrets.NexusAPIKey)} {
		if _, err := kr.Get(context.Background(), acct); err != nil {
			t.Errorf("%s gone after a refused reset: %v", acct, err)
		}
	}
	// No contact center at all: nothing to name a state by.
	opts.config = writeConfig(t, strings.Replace(planConfig, "cc_id: "+stateCC+"\n", "", 1), 0o600)
	if err := resetRun(context.Background(), opts); exitCodeOf(err) != app.ExitUsage || !strings.Contains(err.Error(), "--cc-id") {
		t.Errorf("without cc_id: %v", err)
	}
}

// createdState is a state saying the tool created the tenant and the
// Auth client and stored both secrets.
func createdState() *steps.State {
	st := steps.NewState(stateCC)
	st.Inputs = map[string]string{steps.KeyAuthURL: testAuthURL, steps.KeyClientID: defaultClientID(), steps.KeyTenantName: "premise_tenant"}
	st.Created = map[string]string{steps.CreatedTenant: stateCC, steps.CreatedAuthClient: defaultClientID()}
	return st
}

func TestResetShowsThePlanAndAsksFirst(t *testing.T) {
	opts, kr, stdout, stderr := resetWorld(t)
	saveState(t, opts.stateDir, createdState())
	store := steps.Store{Dir: opts.stateDir}
	err := resetRun(context.Background(), opts)
	if exitCodeOf(err) != app.ExitUsage || !strings.Contains(err.Error(), "reset not confirmed: nothing was changed") {
		t.Fatalf("unconfirmed reset: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "Go ahead? (not a terminal: pass --yes)") {
		t.Errorf("no question on stderr:\n%s", stderr)
	}
	out := stdout.String()
	for _, want := range []string{
		"Reset of contact center " + stateCC + " (state " + store.Path(stateCC) + "):",
		" 1. ✋ [tenant] Digital Channels documents no API to delete a tenant",
		" 2. - [tenant] delete keyring entry nexus-onboard / " + secrets.Account(stateCC, secrets.NexusAPIKey),
		" 3. - [auth-client] delete the Auth client " + defaultClientID(),
		"DELETE ", // the requests it would send, under their item
		" 4. - [auth-client] delete keyring entry nexus-onboard / " + secrets.ClientSecretAccount(testAuthURL, defaultClientID()),
		" 5. - delete the state file",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "ops-pw-1234") {
		t.Errorf("the plan shows a secret:\n%s", out)
	}
	if st, err := store.Load(stateCC); err != nil || st.Updated.IsZero() {
		t.Errorf("the state is gone after an unconfirmed reset: %v", err)
	}
	if _, err := kr.Get(context.Background(), secrets.Account(stateCC, secrets.NexusAPIKey)); err != nil {
		t.Errorf("the API key is gone after an unconfirmed reset: %v", err)
	}
}

func TestResetOnlyTenantUsesTheAppKeyring(t *testing.T) {
	opts, kr, stdout, stderr := resetWorld(t)
	saveState(t, opts.stateDir, createdState())
	opts.only, opts.yes = []string{steps.IDTenant}, true
	if err := resetRun(context.Background(), opts); err != nil {
		t.Fatalf("reset --only tenant: %v\n%s\n%s", err, stdout, stderr)
	}
	if _, err := kr.Get(context.Background(), secrets.Account(stateCC, secrets.NexusAPIKey)); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the API key is still in App.Keyring (%v)", err)
	}
	if _, err := kr.Get(context.Background(), secrets.ClientSecretAccount(testAuthURL, defaultClientID())); err != nil {
		t.Errorf("--only tenant removed the client secret: %v", err)
	}
	out := stdout.String()
	if strings.Contains(out, "delete the state file") || !strings.HasSuffix(out, "\n1 manual item above for you to do by hand.\n") {
		t.Errorf("output:\n%s", out)
	}
	if st, err := (steps.Store{Dir: opts.stateDir}).Load(stateCC); err != nil || st.Updated.IsZero() {
		t.Errorf("--only removed the state: %v", err)
	}
}
