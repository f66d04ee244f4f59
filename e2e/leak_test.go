package e2e

// No secret in anything the tool writes, in any output mode.

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// TestSecretLeakScan performs a full onboarding and a failing one, in
// every output mode, and searches every byte the tool wrote — stdout,
// stderr, JSON, verbose transcripts, the Markdown report, the state dir,
// its temp dir — for every secret in plain, URL-encoded, base64 and
// JSON-escaped forms. It also scans every process's arguments while a run
// is in flight. The only allowed hit is the API key under --reveal.
func TestSecretLeakScan(t *testing.T) {
	w := newWorld(t)
	tmp := filepath.Join(w.dir, "tmp")
	os.MkdirAll(tmp, 0o700)
	env := []string{"TMPDIR=" + tmp}
	texts := map[string]string{}
	add := func(name string, r result) {
		texts[name+".stdout"] = r.stdout
		texts[name+".stderr"] = r.stderr
	}
	base := []string{"--config", w.cfg, "--state-dir", w.stateDir}

	// A failing run first: the server echoes the tenant password and the
	// client secret field in its error body, which must be masked too.
	echo := fmt.Sprintf(`{"status":{"code":500,"message":"internal error for token %s"}}`, w.sb.Opts.TenantPassword)
	w.sb.Faults.Add(sandbox.Fault{Method: "POST", Path: "/nexus/v3/provisioning/tenants", Status: 500, Body: echo, ContentType: "application/json"})
	r := w.runChild(t, env, append([]string{"run", "-v", "--report", filepath.Join(w.stateDir, "failed.md")}, base...)...)
	if r.code != 1 {
		t.Fatalf("failing run: exit %d\n%s", r.code, r.stderr)
	}
	add("failed-text-verbose", r)
	add("failed-json", w.runChild(t, env, append([]string{"run", "-o", "json"}, base...)...))
	w.sb.Faults.Clear()

	// While a run is in flight (a slow tenant answer), every process's
	// arguments are scanned: secrets come from the config file and
	// environment, never from argv of anything the tool starts.
	w.sb.Faults.Add(sandbox.Fault{Method: "POST", Path: "/nexus/v3/provisioning/tenants", Latency: 700 * time.Millisecond, Times: 1})
	cmd := exec.Command(binary(t), append([]string{"run", "-v", "--report", filepath.Join(w.stateDir, "ok.md")}, base...)...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.sb.Count("POST", "/nexus/v3/provisioning/tenants") < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	args := map[string]string{}
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if data, err := os.ReadFile(p); err == nil {
			args[p] = strings.ReplaceAll(string(data), "\x00", " ")
		}
	}
	if len(args) < 2 {
		t.Fatalf("could not read process arguments (%d)", len(args))
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("full run: %v\n%s", err, errb.String())
	}
	add("ok-text-verbose", result{stdout: out.String(), stderr: errb.String()})
	add("ok-json", w.runChild(t, env, append([]string{"run", "-o", "json", "--only", "designer-env"}, base...)...))
	add("plan", w.runChild(t, env, append([]string{"plan"}, base...)...))
	add("steps", w.runChild(t, env, append([]string{"steps"}, base...)...))
	add("secrets-list", w.runChild(t, env, append([]string{"secrets", "list"}, base...)...))
	add("secrets-show", w.runChild(t, env, "secrets", "show", "nexus_api_key", "--config", w.cfg, "--state-dir", w.stateDir))

	ctx := context.Background()
	clientSecret, _ := secrets.Store{}.Get(ctx, account(w.sb, w.cc, secrets.ClientSecret))
	apiKey, _ := secrets.Store{}.Get(ctx, account(w.sb, w.cc, secrets.NexusAPIKey))
	dbPass := ""
	if u, err := url.Parse(w.sb.DBURL); err == nil {
		dbPass, _ = u.User.Password()
	}
	all := []string{clientSecret, apiKey, w.sb.Opts.OpsPassword, w.sb.Opts.TenantPassword, w.sb.Opts.UCSAPIKey, dbPass}
	tokens := w.sb.IssuedTokens()
	if len(tokens) < 4 || clientSecret == "" || apiKey == "" {
		t.Fatalf("scan needs every secret: %d tokens, secret %v, key %v", len(tokens), clientSecret != "", apiKey != "")
	}
	all = append(all, tokens...)
	for name, a := range args {
		texts["argv "+name] = a
	}
	if l := leaks(all, texts, w.stateDir, tmp); len(l) > 0 {
		t.Errorf("%d leak(s):\n%s", len(l), strings.Join(l, "\n"))
	}
	if _, err := os.Stat(filepath.Join(w.stateDir, "ok.md")); err != nil {
		t.Errorf("report not written: %v", err)
	}
	t.Logf("scanned %d texts and files for %d secrets in 4 forms each", len(texts), len(all))

	// Positive control: the user explicitly asks to reveal the key.
	rev := w.runChild(t, env, append([]string{"run", "--only", "designer-env", "--reveal"}, base...)...)
	if len(leaks([]string{apiKey}, map[string]string{"reveal": rev.stdout})) == 0 {
		t.Errorf("--reveal does not show the API key (or the scanner is blind):\n%s", rev.stdout)
	}
	if strings.Contains(rev.stderr, apiKey) {
		t.Error("--reveal printed the key to stderr too")
	}
}
