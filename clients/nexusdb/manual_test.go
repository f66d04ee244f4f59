package nexusdb

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// findPsql locates the psql client; without it the test skips, or fails in CI.
func findPsql(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql"); len(m) > 0 {
		return m[len(m)-1]
	}
	testkit.Missing(t, "psql not found: apt-get install -y postgresql-client")
	return ""
}

// runPsql runs script through psql as a person would (-f file, no psqlrc).
func runPsql(t *testing.T, dsn, script string, env ...string) (string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nex_gapis.sql")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, findPsql(t), "-X", "-d", dsn, "-f", path)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var secretToolLine = regexp.MustCompile("(?m)^\\\\set clientsecret `secret-tool lookup service nexus-onboard username :'account'`$")

// withSecret replaces the keyring lookup with a fixed value, as if the
// keyring had returned it.
func withSecret(t *testing.T, script, secret string) string {
	t.Helper()
	if !secretToolLine.MatchString(script) {
		t.Fatalf("script has no secret-tool line:\n%s", script)
	}
	return secretToolLine.ReplaceAllLiteralString(script, `\set clientsecret `+psqlQuote(secret))
}

func TestManualSQLRunsInPsql(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	account := secrets.Account("9350e2fc-a1dd-4c65-8d40-1f75a2e080dd", secrets.ClientSecret)
	tests := []struct {
		name, url, clientID, secret string
	}{
		{"plain", "https://gws.example.com", "nexus_client", "Zm9vYmFyYmF6cXV4LXNlY3JldC12YWx1ZS0xMjM0NTY3ODkw"},
		{"quote in URL", "https://gws.example.com/it's", "nexus_client", "s'e\"c"},
		{"backslashes", `https://gws.example.com/a\b\\`, `nexus\client`, `back\slash\\`},
		{"psql variables and backquotes", "https://gws/:url/:'clientid'/`touch /tmp/pwned`", "nexus_client", "`id`:clientsecret"},
		{"sql injection", `https://x'); DROP TABLE nex_gapis; --`, `nexus_client`, `s'); DROP TABLE nex_gapis; --`},
		{"newline and unicode", "https://gws.example.com/\nzwei", "клиент", "秘密\t🔑"},
		{"percent", "https://gws.example.com/%41%", "nexus_%", "100%"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := ManualSQL(tt.url, tt.clientID, account)
			if strings.Contains(script, tt.secret) {
				t.Fatalf("script contains the secret:\n%s", script)
			}
			// Twice with the same secret: one row. Then a new secret: updated in place.
			for i, secret := range []string{tt.secret, tt.secret, tt.secret + "-rotated"} {
				out, err := runPsql(t, f.srv.AppDSN, withSecret(t, script, secret))
				if err != nil {
					t.Fatalf("run %d: psql: %v\n%s", i+1, err, out)
				}
				if strings.Contains(out, secret) {
					t.Errorf("run %d: psql output shows the secret:\n%s", i+1, out)
				}
				if i == 0 {
					t.Logf("psql output:\n%s", out)
				}
				row := f.only(t, tt.url, tt.clientID)
				if row.ClientSecret != secret || row.APIKey != PlaceholderAPIKey {
					t.Errorf("run %d: stored secret exact: %v, apikey %q; want the secret and NA",
						i+1, row.ClientSecret == secret, row.APIKey)
				}
			}
			// The API agrees with what the script wrote.
			if got, err := f.db.EnsureGapi(ctx, tt.url, tt.clientID, tt.secret+"-rotated"); err != nil || got != Unchanged {
				t.Errorf("EnsureGapi after the script = %q, %v; want unchanged", got, err)
			}
		})
	}
	if _, err := os.Stat("/tmp/pwned"); err == nil {
		t.Error("a backquote in a value was executed by psql")
	}
	if err := f.db.CheckSchema(ctx); err != nil {
		t.Fatalf("table damaged: %v", err)
	}
}

// With no secret in the keyring the script must fail and change nothing,
// rather than store an empty secret.
func TestManualSQLStopsWithoutSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	script := ManualSQL("https://gws.example.com", "nexus_client", "no-such-cc/client_secret")
	tests := []struct {
		name   string
		script string
		env    []string
	}{
		{"empty value", withSecret(t, script, ""), nil},
		// secret-tool not on PATH: the backquote yields nothing.
		{"no secret-tool", script, []string{"PATH=" + t.TempDir()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runPsql(t, f.srv.AppDSN, tt.script, tt.env...)
			if err == nil {
				t.Fatalf("psql succeeded without a secret:\n%s", out)
			}
			t.Logf("psql output:\n%s", out)
			for _, want := range []string{"no client secret for account no-such-cc/client_secret", "nothing was changed"} {
				if !strings.Contains(out, want) {
					t.Errorf("psql output lacks %q:\n%s", want, out)
				}
			}
			rows, err := f.db.FindGapis(context.Background(), "https://gws.example.com", "nexus_client")
			if err != nil || len(rows) != 0 {
				t.Fatalf("rows after a failed script: %v, %v; want none", rows, err)
			}
		})
	}
}

// The script unchanged, against the real keyring: psql runs secret-tool,
// which finds the entry the secrets package stored.
func TestManualSQLReadsTheKeyring(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	testkit.Tool(t, "secret-tool", "libsecret-tools")
	testkit.RequireKeyring(t)
	store := secrets.Store{Timeout: 3 * time.Second}
	ctx := context.Background()
	secret, err := secrets.Generate()
	if err != nil {
		t.Fatal(err)
	}
	account := secrets.Account("test-"+randomHex(t, 6), secrets.ClientSecret)
	if err := store.Set(ctx, account, secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Delete(context.Background(), account) })

	out, err := runPsql(t, f.srv.AppDSN, ManualSQL("https://gws.example.com", "nexus_client", account))
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	if row := f.only(t, "https://gws.example.com", "nexus_client"); row.ClientSecret != secret {
		t.Errorf("the script stored another secret than the keyring's")
	}
}

func TestPsqlQuote(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", `'plain'`},
		{"it's", `'it\'s'`},
		{`a\b`, `'a\\b'`},
		{"a\nb\tc", `'a\012b\011c'`},
		{":var `cmd`", "':var `cmd`'"},
		{"ünï", "'ünï'"},
	}
	for _, tt := range tests {
		if got := psqlQuote(tt.in); got != tt.want {
			t.Errorf("psqlQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
