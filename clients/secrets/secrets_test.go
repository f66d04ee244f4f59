package secrets

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/testkit"
)

func TestAccount(t *testing.T) {
	ccID := "9350e2fc-a1dd-4c65-8d40-1f75a2e080dd"
	tests := []struct {
		name, want string
	}{
		{ClientSecret, ccID + "/client_secret"},
		{NexusAPIKey, ccID + "/nexus_api_key"},
	}
	for _, tt := range tests {
		if got := Account(ccID, tt.name); got != tt.want {
			t.Errorf("Account(%q, %q) = %q, want %q", ccID, tt.name, got, tt.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	const n = 2000
	charset := regexp.MustCompile(`^[A-Za-z0-9_-]{48}$`)
	seen := make(map[string]bool, n)
	counts := map[rune]int{}
	for i := 0; i < n; i++ {
		s, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if !charset.MatchString(s) {
			t.Fatalf("Generate() = %q: want 48 characters of [A-Za-z0-9_-]", s)
		}
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(raw) != 36 {
			t.Fatalf("Generate() = %q does not decode to 36 bytes (%d, %v)", s, len(raw), err)
		}
		if seen[s] {
			t.Fatalf("Generate() repeated %q", s)
		}
		seen[s] = true
		for _, r := range s {
			counts[r]++
		}
	}
	// 36 bytes are exactly 48 base64 digits, so every position is uniform over
	// 64 symbols: each is expected n*48/64 = 1500 times, standard deviation
	// about 38. A bound of ±300 (8σ) catches a biased or constant source
	// without ever failing on a good one.
	if len(counts) != 64 {
		t.Fatalf("Generate() used %d distinct characters over %d secrets, want all 64", len(counts), n)
	}
	for r, c := range counts {
		if c < 1200 || c > 1800 {
			t.Errorf("character %q appeared %d times, want 1200..1800 (expected 1500)", r, c)
		}
	}
}

func TestRemedyNamesWhatToDo(t *testing.T) {
	tests := []struct {
		goos string
		want []string
	}{
		{"linux", []string{"Secret Service", "gnome-keyring-daemon", "KeePassXC", "unlock"}},
		{"freebsd", []string{"Secret Service"}},
		{"darwin", []string{"keychain"}},
		{"windows", []string{"Credential Manager"}},
	}
	for _, tt := range tests {
		got := remedyFor(tt.goos)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("remedyFor(%q) = %q, want it to mention %q", tt.goos, got, w)
			}
		}
	}
}

// A cancelled context ends the call before the keyring is touched, so this
// runs anywhere: the error is the caller's cancellation, not ErrUnavailable.
func TestCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := Store{Service: testService(t)}
	tests := []struct {
		op   string
		call func() error
	}{
		{"get", func() error { _, err := s.Get(ctx, "a"); return err }},
		{"set", func() error { return s.Set(ctx, "a", "value-never-written") }},
		{"delete", func() error { return s.Delete(ctx, "a") }},
		{"probe", func() error { return s.Probe(ctx) }},
	}
	for _, tt := range tests {
		start := time.Now()
		err := tt.call()
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: err = %v, want context.Canceled and not ErrUnavailable", tt.op, err)
		}
		if err != nil && strings.Contains(err.Error(), "value-never-written") {
			t.Errorf("%s: error contains the value: %v", tt.op, err)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("%s took %s with a cancelled context", tt.op, d)
		}
	}
}

// testService returns a service name of its own, so tests never read or
// overwrite a real nexus-onboard entry.
func testService(t *testing.T) string {
	t.Helper()
	return "nexus-onboard-test-" + randomHex(t, 6)
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// secretTool reads an entry back with libsecret's own client, proving that
// the value really is in the Secret Service under the documented attributes.
func secretTool(t *testing.T, service, account string) string {
	t.Helper()
	bin := testkit.Tool(t, "secret-tool", "libsecret-tools")
	out, err := exec.Command(bin, "lookup", "service", service, "username", account).Output()
	if err != nil {
		t.Fatalf("secret-tool lookup service %s username %s: %v", service, account, err)
	}
	return string(out)
}

func TestRoundTrip(t *testing.T) {
	testkit.RequireKeyring(t)
	generated, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value string
	}{
		{"generated client secret", generated},
		{"quotes and backslashes", `it's "quoted" \ back\slash`},
		{"newline and tab", "line one\nline two\tend"},
		{"unicode", "pässwörd-密码-🔑"},
		{"sql injection", `'); DROP TABLE nex_gapis; --`},
		{"long", strings.Repeat("x", 2400)},
	}
	s := Store{Service: testService(t)}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account := Account("cc-"+randomHex(t, 4), ClientSecret)
			if err := s.Set(ctx, account, tt.value); err != nil {
				t.Fatalf("Set: %v", err)
			}
			t.Cleanup(func() { _ = s.Delete(context.Background(), account) })
			got, err := s.Get(ctx, account)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if got != tt.value {
				t.Errorf("Get = %q, want %q", got, tt.value)
			}
			if got := secretTool(t, s.Service, account); got != tt.value {
				t.Errorf("secret-tool lookup = %q, want %q", got, tt.value)
			}
		})
	}
}

func TestOverwriteAndDelete(t *testing.T) {
	testkit.RequireKeyring(t)
	s := Store{Service: testService(t)}
	ctx := context.Background()
	account := Account("cc-"+randomHex(t, 4), NexusAPIKey)

	for _, v := range []string{"first-value", "second-value"} {
		if err := s.Set(ctx, account, v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	if got, err := s.Get(ctx, account); err != nil || got != "second-value" {
		t.Fatalf("Get after overwrite = %q, %v; want second-value", got, err)
	}
	if err := s.Delete(ctx, account); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	steps := []struct {
		op   string
		call func() error
	}{
		{"get after delete", func() error { _, err := s.Get(ctx, account); return err }},
		{"second delete", func() error { return s.Delete(ctx, account) }},
	}
	for _, st := range steps {
		err := st.call()
		if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: err = %v, want ErrNotFound", st.op, err)
		}
		if err != nil && !strings.Contains(err.Error(), account) {
			t.Errorf("%s: error %q does not name the account", st.op, err)
		}
	}
}

// The zero Store uses the public service name, the contract that printed SQL
// and administrators' scripts rely on.
func TestZeroStoreUsesServiceName(t *testing.T) {
	testkit.RequireKeyring(t)
	var s Store
	ctx := context.Background()
	account := Account("test-"+randomHex(t, 6), ClientSecret)
	value := "zero-store-" + randomHex(t, 8)
	if err := s.Set(ctx, account, value); err != nil {
		t.Fatalf("Set: %v", err)
	}
	t.Cleanup(func() { _ = s.Delete(context.Background(), account) })
	if got := secretTool(t, "nexus-onboard", account); got != value {
		t.Errorf("secret-tool lookup service nexus-onboard username %s = %q, want %q", account, got, value)
	}
}

func TestProbe(t *testing.T) {
	testkit.RequireKeyring(t)
	s := Store{Service: testService(t)}
	for i := 0; i < 3; i++ {
		if err := s.Probe(context.Background()); err != nil {
			t.Fatalf("Probe #%d: %v", i+1, err)
		}
	}
	// The probe cleans up after itself: nothing is left under the service.
	out, err := exec.Command(testkit.Tool(t, "secret-tool", "libsecret-tools"), "search", "--all", "service", s.Service).CombinedOutput()
	if err != nil && len(out) > 0 && !strings.Contains(string(out), "No matching") {
		t.Fatalf("secret-tool search: %v: %s", err, out)
	}
	if strings.Contains(string(out), "probe/") {
		t.Errorf("Probe left entries behind:\n%s", out)
	}
}

// BenchmarkRoundTrip measures one Set, Get and Delete against the real
// Secret Service: the keyring's share of a headless run.
func BenchmarkRoundTrip(b *testing.B) {
	s := Store{Service: "nexus-onboard-bench"}
	ctx := context.Background()
	if err := s.Probe(ctx); err != nil {
		b.Skip(err)
	}
	for i := 0; i < b.N; i++ {
		if err := s.Set(ctx, "bench", "value"); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
		if err := s.Delete(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}
