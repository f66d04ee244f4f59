package e2e

// The world the end-to-end tests run in: a sandbox (simulated Genesys over
// real HTTPS) with a real PostgreSQL, the real Secret Service, a contact
// center of the test's own, and the command line run in process.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/testkit"
	"github.com/nexus-onboard/nexus-onboard/ui/cli"
)

// account is the keyring account of a secret of the sandbox: the client
// secret is the environment's, the API key the contact center's.
func account(sb *sandbox.Sandbox, cc, name string) string {
	if name == secrets.ClientSecret {
		return secrets.ClientSecretAccount(sb.AuthURL, sandbox.DefaultClientID)
	}
	return secrets.Account(cc, name)
}

type world struct {
	sb       *sandbox.Sandbox
	dir      string
	cfg      string
	stateDir string
	cc       string
}

// newWorld starts a sandbox with a fresh contact center (so keyring entries
// of parallel or earlier tests never collide) and writes its config.
func newWorld(t testing.TB) *world {
	t.Helper()
	testkit.RequireKeyring(t)
	cc := testkit.UUID()
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{ContactCenters: []string{cc}, WithDB: true, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if sb.DBURL == "" {
		testkit.Need(t, "PostgreSQL", fmt.Errorf("sandbox has no database: %s", sb.DBNote))
	}
	w := &world{sb: sb, dir: dir, cfg: filepath.Join(dir, "nexus-onboard.yaml"), stateDir: filepath.Join(dir, "state"), cc: cc}
	if err := sb.WriteConfig(w.cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, n := range []string{secrets.ClientSecret, secrets.NexusAPIKey} {
			secrets.Store{}.Delete(context.Background(), account(sb, cc, n))
		}
	})
	return w
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs the command line in process, as main.go builds it (no test here
// runs the sandbox command in process: StartSandbox stays nil), with an
// environment of its own: HOME is the test's directory.
func (w *world) run(t testing.TB, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	app := &cli.App{Version: "test", Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""),
		Environ: []string{"HOME=" + w.dir, "PATH=" + os.Getenv("PATH")}}
	code := app.Main(args)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

type jsonDoc struct {
	Steps []struct {
		ID         string            `json:"id"`
		Status     string            `json:"status"`
		DurationMS *int64            `json:"duration_ms"`
		Outputs    map[string]string `json:"outputs"`
		Error      *string           `json:"error"`
	} `json:"steps"`
}

func parseDoc(t testing.TB, r result) map[string]string {
	t.Helper()
	var doc jsonDoc
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
	}
	got := map[string]string{}
	for _, s := range doc.Steps {
		if s.DurationMS == nil || s.Error == nil || s.Outputs == nil {
			t.Errorf("step %s lacks duration_ms, error or outputs", s.ID)
		}
		got[s.ID] = s.Status
	}
	return got
}

func (w *world) runJSON(t testing.TB, extra ...string) (result, map[string]string) {
	t.Helper()
	r := w.run(t, append([]string{"run", "--config", w.cfg, "--state-dir", w.stateDir, "--output", "json"}, extra...)...)
	return r, parseDoc(t, r)
}

func secretToolLookup(t testing.TB, account string) string {
	t.Helper()
	out, err := exec.Command("secret-tool", "lookup", "service", secrets.Service, "username", account).Output()
	testkit.Need(t, "secret-tool (libsecret-tools)", err)
	return string(out)
}

func gapiRows(t testing.TB, w *world) [][2]string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), w.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT url, clientsecret FROM nex_gapis ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for rows.Next() {
		var u, s string
		if err := rows.Scan(&u, &s); err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{u, s})
	}
	return out
}

// leaks returns where any form of any secret appears in the texts and files.
func leaks(secretsList []string, texts map[string]string, dirs ...string) []string {
	for _, d := range dirs {
		filepath.Walk(d, func(p string, fi os.FileInfo, err error) error {
			if err == nil && fi.Mode().IsRegular() && !strings.Contains(p, "/sandbox-") && !strings.HasSuffix(p, ".yaml") && !strings.Contains(p, "/pg") {
				if data, err := os.ReadFile(p); err == nil {
					texts[p] = string(data)
				}
			}
			return nil
		})
	}
	var found []string
	for _, s := range secretsList {
		if len(s) < 4 {
			continue
		}
		js, _ := json.Marshal(s)
		forms := []string{s, url.QueryEscape(s), string(js[1 : len(js)-1]), base64.StdEncoding.EncodeToString([]byte(s))}
		for where, text := range texts {
			for _, f := range forms {
				if strings.Contains(text, f) {
					found = append(found, fmt.Sprintf("%s contains a secret (%d chars)", where, len(s)))
				}
			}
		}
	}
	return found
}
