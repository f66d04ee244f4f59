package cli

// `secrets` without cobra: list, show and delete read and delete through
// App.Keyring (here the in-memory keyring), and delete takes an account
// exactly as list prints it.

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// listRows parses `secrets list`: account -> present, and the accounts in
// their order.
func listRows(t *testing.T, out string) (map[string]string, []string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || strings.Join(strings.Fields(lines[0]), " ") != "SERVICE ACCOUNT PRESENT" {
		t.Fatalf("no header:\n%s", out)
	}
	rows, order := map[string]string{}, []string{}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) != 3 || f[0] != secrets.Service {
			t.Fatalf("row %q is not SERVICE ACCOUNT PRESENT:\n%s", l, out)
		}
		rows[f[1]] = f[2]
		order = append(order, f[1])
	}
	return rows, order
}

func TestSecretsListShowsWhatTheKeyringHolds(t *testing.T) {
	clientAcct := secrets.ClientSecretAccount(testAuthURL, defaultClientID())
	keyAcct := secrets.Account(stateCC, secrets.NexusAPIKey)
	otherKey := secrets.Account(stateOther, secrets.NexusAPIKey)
	otherClient := secrets.ClientSecretAccount("https://auth.other.invalid", "other_client")
	// Another contact center's state: its saved inputs name its
	// environment, and its origin records an account of its own.
	other := steps.NewState(stateOther)
	other.Inputs = map[string]string{steps.KeyAuthURL: "https://auth.other.invalid", steps.KeyClientID: "other_client"}
	other.Secrets = map[string]steps.SecretOrigin{steps.OutAPIKey: {Account: otherKey, AuthURL: "https://auth.other.invalid"}}

	for _, tc := range []struct {
		name      string
		config    bool         // planConfig: auth_url and cc_id of stateCC
		state     *steps.State // a state file in the state dir
		held      []string     // what the keyring holds
		want      map[string]string
		wantOrder []string
	}{
		{name: "config, no state file", config: true, held: []string{clientAcct},
			want: map[string]string{clientAcct: "yes", keyAcct: "no"}, wantOrder: []string{clientAcct, keyAcct}},
		{name: "state file, no config", state: other, held: []string{otherKey, clientAcct},
			want: map[string]string{otherClient: "no", otherKey: "yes"}, wantOrder: []string{otherClient, otherKey}},
		{name: "config and state file", config: true, state: other, held: []string{keyAcct, otherClient},
			want:      map[string]string{clientAcct: "no", keyAcct: "yes", otherClient: "yes", otherKey: "no"},
			wantOrder: []string{clientAcct, keyAcct, otherClient, otherKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, stdout, stderr := testApp(memoryWith(t, tc.held...))
			opts := &secretsListOptions{&secretsOptions{app: a}}
			opts.stateDir = filepath.Join(t.TempDir(), "state")
			if tc.config {
				opts.config = writeConfig(t, planConfig, 0o600)
			}
			if tc.state != nil {
				saveState(t, opts.stateDir, tc.state)
			}
			if err := secretsListRun(context.Background(), opts); err != nil {
				t.Fatalf("list: %v\n%s", err, stderr)
			}
			rows, order := listRows(t, stdout.String())
			if strings.Join(order, " ") != strings.Join(tc.wantOrder, " ") {
				t.Errorf("accounts %v, want %v", order, tc.wantOrder)
			}
			for acct, present := range tc.want {
				if rows[acct] != present {
					t.Errorf("%s: present %q, want %q\n%s", acct, rows[acct], present, stdout)
				}
			}
			if strings.Contains(stdout.String(), "value-of-") {
				t.Errorf("list printed a value:\n%s", stdout)
			}
		})
	}
	t.Run("nothing known", func(t *testing.T) {
		a, stdout, stderr := testApp(memoryWith(t, clientAcct))
		opts := &secretsListOptions{&secretsOptions{app: a}}
		opts.stateDir = t.TempDir()
		if err := secretsListRun(context.Background(), opts); err != nil {
			t.Fatal(err)
		}
		if rows, _ := listRows(t, stdout.String()); len(rows) != 0 {
			t.Errorf("rows without any environment: %v", rows)
		}
		if !strings.Contains(stderr.String(), "no environment or contact center known") {
			t.Errorf("stderr does not say why the list is empty:\n%s", stderr)
		}
	})
}

func TestSecretsDeleteTakesTheAccountAsListPrintsIt(t *testing.T) {
	clientAcct := secrets.ClientSecretAccount(testAuthURL, defaultClientID())
	keyAcct := secrets.Account(stateCC, secrets.NexusAPIKey)
	kr := memoryWith(t, clientAcct, keyAcct)
	a, stdout, _ := testApp(kr)
	shared := &secretsOptions{app: a}
	shared.stateDir = t.TempDir()
	shared.config = writeConfig(t, planConfig, 0o600)
	if err := secretsListRun(context.Background(), &secretsListOptions{shared}); err != nil {
		t.Fatal(err)
	}
	_, listed := listRows(t, stdout.String())
	if len(listed) != 2 {
		t.Fatalf("list: %v", listed)
	}
	for _, acct := range listed {
		// Without a terminal and without --yes, nothing is deleted.
		stdout.Reset()
		err := secretsDeleteRun(context.Background(), &secretsDeleteOptions{secretsOptions: shared, name: acct})
		if exitCodeOf(err) != app.ExitUsage {
			t.Fatalf("delete %s unconfirmed: %v", acct, err)
		}
		if _, err := kr.Get(context.Background(), acct); err != nil {
			t.Fatalf("delete %s unconfirmed removed it: %v", acct, err)
		}
		// Confirmed: the account as list printed it names the entry.
		if err := secretsDeleteRun(context.Background(), &secretsDeleteOptions{secretsOptions: shared, name: acct, yes: true}); err != nil {
			t.Fatalf("delete %s: %v", acct, err)
		}
		if got := stdout.String(); got != "deleted "+secrets.Service+" / "+acct+"\n" {
			t.Errorf("delete %s said %q", acct, got)
		}
		if _, err := kr.Get(context.Background(), acct); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("%s still in the keyring (%v)", acct, err)
		}
	}
	// A name list never printed and no tool account is refused.
	err := secretsDeleteRun(context.Background(), &secretsDeleteOptions{secretsOptions: shared, name: "someone/else", yes: true})
	if exitCodeOf(err) != app.ExitUsage || !strings.Contains(err.Error(), `unknown secret "someone/else"`) {
		t.Errorf("unknown account: %v", err)
	}
}

func TestSecretsShowMasksUnlessRevealed(t *testing.T) {
	keyAcct := secrets.Account(stateCC, secrets.NexusAPIKey)
	a, stdout, _ := testApp(memoryWith(t, keyAcct))
	shared := &secretsOptions{app: a}
	shared.stateDir = t.TempDir()
	shared.config = writeConfig(t, planConfig, 0o600)
	value := "value-of-" + keyAcct
	if err := secretsShowRun(context.Background(), &secretsShowOptions{secretsOptions: shared, name: secrets.NexusAPIKey}); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); strings.Contains(got, value) || !strings.Contains(got, keyAcct+": ****") {
		t.Errorf("masked show: %q", got)
	}
	stdout.Reset()
	if err := secretsShowRun(context.Background(), &secretsShowOptions{secretsOptions: shared, name: keyAcct, reveal: true}); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != value+"\n" {
		t.Errorf("revealed show: %q", got)
	}
	// An entry the keyring lacks is a failure (exit 1), not a usage error.
	err := secretsShowRun(context.Background(), &secretsShowOptions{secretsOptions: shared, name: secrets.ClientSecret})
	if exitCodeOf(err) != app.ExitStepFailed || !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("missing entry: %v", err)
	}
}
