package steps_test

// Bad and hostile input. Table tests of the config file, environment and
// flag parsers and of the validator (every rejection names its key and says
// why, none quotes a secret); then hostile values end to end: quotes,
// backslashes, %, newlines, unicode and SQL metacharacters go through the
// real steps against the sandbox (real HTTPS), a real PostgreSQL and the
// real Secret Service, and must arrive byte-exact at the server and in
// nex_gapis.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.yaml.in/yaml/v3"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// hostileSecret is a recognisable secret: no problem message may show it,
// in any form.
const hostileSecret = "S3cr3t-'\"\\%-pw"

// leakForms are the forms a secret may be spelt in.
func leakForms(s string) []string {
	js, _ := json.Marshal(s)
	return []string{s, url.QueryEscape(s), url.PathEscape(s), string(js[1 : len(js)-1]),
		base64.StdEncoding.EncodeToString([]byte(s)), "S3cr3t"}
}

func assertNoSecret(t *testing.T, what, text string, secretValues ...string) {
	t.Helper()
	for _, s := range append([]string{hostileSecret}, secretValues...) {
		for _, f := range leakForms(s) {
			if len(f) >= 4 && strings.Contains(text, f) {
				t.Errorf("%s shows a secret (%q): %s", what, f, text)
			}
		}
	}
}

// problemsByKey indexes problems; two problems of one key are joined.
func problemsByKey(ps steps.Problems) map[string]string {
	out := map[string]string{}
	for _, p := range ps {
		if out[p.Key] != "" {
			out[p.Key] += " | "
		}
		out[p.Key] += p.Msg
	}
	return out
}

func TestConfigFileBadValues(t *testing.T) {
	quoted, _ := json.Marshal(hostileSecret) // a YAML double-quoted scalar too
	tests := []struct {
		name     string
		yaml     string
		wantKey  string            // the key the problem names ("" for none)
		wantMsg  string            // what the problem says
		wantVals map[string]string // values read, byte-exact
	}{
		{name: "list", yaml: "gws_url: [a, b]\n", wantKey: "gws_url", wantMsg: "must be a single value, not a list"},
		{name: "mapping", yaml: "gws_url:\n  host: x\n", wantKey: "gws_url", wantMsg: "not a mapping"},
		{name: "unknown key", yaml: "bogus: 1\n", wantKey: "bogus", wantMsg: "line 1: unknown key (known: gws_url,"},
		{name: "misspelt key", yaml: "gws-url: https://gws.example.com\n", wantKey: "gws-url", wantMsg: "did you mean gws_url?"},
		{name: "upper-case key", yaml: "GWS_URL: https://gws.example.com\n", wantKey: "GWS_URL", wantMsg: "did you mean gws_url?"},
		{name: "empty key", yaml: "\"\": x\n", wantKey: `""`, wantMsg: "unknown key"},
		{name: "null key", yaml: "~: x\n", wantKey: "~", wantMsg: "unknown key"},
		{name: "escape sequence key", yaml: "\"\\e[2J\": x\n", wantKey: `"\x1b[2J"`, wantMsg: "unknown key"},
		{name: "huge key", yaml: "? " + strings.Repeat("k", 5000) + "\n: x\n", wantKey: `"` + strings.Repeat("k", 77) + `..."`, wantMsg: "unknown key"},
		{name: "list key", yaml: "? [a, b]\n: x\n", wantKey: "config", wantMsg: "a key must be a plain name"},
		{name: "duplicate key", yaml: "gws_url: https://a.example\ngws_url: https://b.example\n", wantKey: "gws_url", wantMsg: "set twice (lines 1 and 2)"},
		{name: "duplicate secret", yaml: "tenant_password: " + string(quoted) + "\ntenant_password: x" + string(quoted) + "\n", wantKey: "tenant_password", wantMsg: "set twice"},
		{name: "tab indent", yaml: "gws_url: x\n\ttenant_name: y\n", wantKey: "config", wantMsg: "not valid YAML: line 2: found a tab character"},
		{name: "tab before key", yaml: "\tgws_url: x\n", wantKey: "config", wantMsg: "not valid YAML"},
		{name: "top-level list", yaml: "- gws_url: x\n", wantKey: "config", wantMsg: "must be a mapping of key: value lines"},
		{name: "env-file style secret", yaml: "gws_admin_password=" + hostileSecret + "\n", wantKey: "config", wantMsg: "must be a mapping of key: value lines"},
		{name: "two documents", yaml: "gws_url: a\n---\ngws_url: b\n", wantKey: "config", wantMsg: "more than one YAML document"},
		{name: "broken second document", yaml: "gws_url: a\n---\n[\n", wantKey: "config", wantMsg: "more than one YAML document"},
		{name: "unknown anchor", yaml: "gws_url: *nope\n", wantKey: "config", wantMsg: "unknown anchor"},
		{name: "bad typed secret", yaml: "gws_admin_password: !!int " + hostileSecret[:6] + "x\n", wantKey: "gws_admin_password", wantMsg: "cannot be read as text (!!int): quote it"},
		{name: "bad quoting", yaml: "tenant_password: \"" + hostileSecret + "\n", wantKey: "config", wantMsg: "not valid YAML"},

		{name: "empty file", yaml: "", wantVals: map[string]string{}},
		{name: "comments and document marks", yaml: "# nothing\n---\n", wantVals: map[string]string{}},
		{name: "trailing empty document", yaml: "tenant_name: t\n---\n", wantVals: map[string]string{"tenant_name": "t"}},
		{name: "byte order mark", yaml: "\ufefftenant_name: t\n", wantVals: map[string]string{"tenant_name": "t"}},
		{name: "null and empty values", yaml: "gws_url: ~\nauth_url:\nnexus_url: null\ntenant_name: \"\"\n", wantVals: map[string]string{"tenant_name": ""}},
		{name: "numbers keep their text", yaml: "tenant_password: 00123\ntenant_name: 0x1F\ncc_id: 1e3\ninsecure_skip_verify: yes\n",
			wantVals: map[string]string{"tenant_password": "00123", "tenant_name": "0x1F", "cc_id": "1e3", "insecure_skip_verify": "yes"}},
		{name: "alias of a value", yaml: "gws_url: &u https://gws.example.com\nnexus_url: *u\n", wantVals: map[string]string{"gws_url": "https://gws.example.com", "nexus_url": "https://gws.example.com"}},
		{name: "binary secret", yaml: "ucs_api_key: !!binary " + base64.StdEncoding.EncodeToString([]byte(hostileSecret)) + "\n", wantVals: map[string]string{"ucs_api_key": hostileSecret}},
		{name: "quoted secret", yaml: "tenant_password: " + string(quoted) + "\ngws_admin_password: '" + strings.ReplaceAll(hostileSecret, "'", "''") + "'\n",
			wantVals: map[string]string{"tenant_password": hostileSecret, "gws_admin_password": hostileSecret}},
		{name: "multi-line secret", yaml: "tenant_password: |-\n  line1\n    line2 \\ % '\n", wantVals: map[string]string{"tenant_password": "line1\n  line2 \\ % '"}},
		{name: "tab inside a value", yaml: "tenant_password: \"a\\tb\"\n", wantVals: map[string]string{"tenant_password": "a\tb"}},
		{name: "huge value", yaml: "tenant_name: " + strings.Repeat("n", 1<<19) + "\n", wantVals: map[string]string{"tenant_name": strings.Repeat("n", 1<<19)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vals, problems := steps.ParseConfig([]byte(tt.yaml))
			assertNoSecret(t, "problems", problems.Error())
			if tt.wantKey == "" {
				if len(problems) > 0 {
					t.Fatalf("problems: %v", problems)
				}
				if len(vals) != len(tt.wantVals) {
					t.Errorf("read %d values, want %d: %q", len(vals), len(tt.wantVals), vals)
				}
				for k, want := range tt.wantVals {
					if got, ok := vals[k]; !ok || got != want {
						t.Errorf("%s = %.60q, want %.60q", k, got, want)
					}
				}
				return
			}
			got := problemsByKey(problems)
			if msg, ok := got[tt.wantKey]; !ok || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("problems %q, want %s: …%s…", problems, tt.wantKey, tt.wantMsg)
			}
			if _, ok := vals[tt.wantKey]; ok {
				t.Errorf("%s both rejected and read", tt.wantKey)
			}
		})
	}
}

func TestConfigFileOnDisk(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, path string
		wantKey    string
		wantMsg    string
		wantWarn   string
	}{
		{name: "missing", path: filepath.Join(dir, "nope.yaml"), wantKey: "config", wantMsg: "no such file"},
		{name: "directory", path: dir, wantKey: "config", wantMsg: "cannot read"},
		{name: "over 1 MiB", path: write("big.yaml", bytes.Repeat([]byte("# padding\n"), 110_000), 0o600), wantKey: "config", wantMsg: "larger than 1024 KiB"},
		{name: "secret readable by others", path: write("open.yaml", []byte("tenant_password: "+hostileSecret+"\n"), 0o644), wantWarn: "chmod 600"},
		{name: "password in db_url readable by others", path: write("dsn.yaml", []byte("db_url: postgres://n:"+url.QueryEscape(hostileSecret)+"@db/nexus\n"), 0o640), wantWarn: "readable by group or others"},
		{name: "no secret, open mode", path: write("plain.yaml", []byte("tenant_name: t\n"), 0o644)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warnings, problems := steps.Load(steps.Sources{ConfigPath: tt.path})
			text := problems.Error() + strings.Join(warnings, "\n")
			assertNoSecret(t, "problems and warnings", text)
			if tt.wantKey != "" {
				if msg := problemsByKey(problems)[tt.wantKey]; !strings.Contains(msg, tt.wantMsg) || !strings.Contains(msg, tt.path) {
					t.Errorf("problems %q, want %s naming the file and saying …%s…", problems, tt.wantKey, tt.wantMsg)
				}
			} else if len(problems) > 0 {
				t.Errorf("problems %v", problems)
			}
			if (tt.wantWarn == "") != (len(warnings) == 0) || (tt.wantWarn != "" && !strings.Contains(warnings[0], tt.wantWarn)) {
				t.Errorf("warnings %q, want …%s…", warnings, tt.wantWarn)
			}
		})
	}
}

func TestEnvironmentValues(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte("cc_id: 578ec98e-f07c-46ad-9675-f36c22f3ba9f\ntenant_name: from-config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		environ []string
		key     string
		want    string
		src     steps.Source
	}{
		{"canonical name", []string{"NEXUS_ONBOARD_TENANT_NAME=from-env"}, steps.KeyTenantName, "from-env", steps.FromEnv},
		{"empty counts as unset", []string{"NEXUS_ONBOARD_CC_ID="}, steps.KeyCCID, "578ec98e-f07c-46ad-9675-f36c22f3ba9f", steps.FromConfig},
		{"lower-case prefix ignored", []string{"nexus_onboard_tenant_name=lower"}, steps.KeyTenantName, "from-config", steps.FromConfig},
		{"mixed-case key accepted", []string{"NEXUS_ONBOARD_Tenant_Name=mixed"}, steps.KeyTenantName, "mixed", steps.FromEnv},
		{"last one wins", []string{"NEXUS_ONBOARD_TENANT_USER=first", "NEXUS_ONBOARD_TENANT_USER=second"}, steps.KeyTenantUser, "second", steps.FromEnv},
		{"value with =", []string{"NEXUS_ONBOARD_TENANT_USER=a=b=c"}, steps.KeyTenantUser, "a=b=c", steps.FromEnv},
		{"text trimmed", []string{"NEXUS_ONBOARD_TENANT_USER= \tnexus \n"}, steps.KeyTenantUser, "nexus", steps.FromEnv},
		{"URL trimmed", []string{"NEXUS_ONBOARD_GWS_URL= https://gws.example.com/ / "}, steps.KeyGWSURL, "https://gws.example.com", steps.FromEnv},
		{"secret byte-exact", []string{"NEXUS_ONBOARD_TENANT_PASSWORD= " + hostileSecret + "\n\t"}, steps.KeyTenantPass, " " + hostileSecret + "\n\t", steps.FromEnv},
		{"secret of spaces kept", []string{"NEXUS_ONBOARD_GWS_ADMIN_PASSWORD=   "}, steps.KeyAdminPassword, "   ", steps.FromEnv},
		{"junk ignored", []string{"NEXUS_ONBOARD_=x", "=x", "NEXUS_ONBOARD_TENANT_NAME", "NEXUS_ONBOARD_UNKNOWN=x", "NEXUS_ONBOARD_TENANT_NAMEX=x"}, steps.KeyTenantName, "from-config", steps.FromConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, _, problems := steps.Load(steps.Sources{Environ: tt.environ, ConfigPath: cfg})
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if vs.Get(tt.key) != tt.want || vs.Source(tt.key) != tt.src {
				t.Errorf("%s = %q from %q, want %q from %q", tt.key, vs.Get(tt.key), vs.Source(tt.key), tt.want, tt.src)
			}
		})
	}
}

func TestFlagValues(t *testing.T) {
	environ := []string{"NEXUS_ONBOARD_TENANT_NAME=from-env", "NEXUS_ONBOARD_TENANT_PASSWORD=env-pw"}
	tests := []struct {
		name      string
		key, flag string
		want      string
	}{
		{"flag beats env", steps.KeyTenantName, "from-flag", "from-flag"},
		{"explicit empty flag clears", steps.KeyTenantName, "", ""},
		{"text trimmed", steps.KeyTenantName, "  spaced  ", "spaced"},
		{"URL trimmed", steps.KeyAuthURL, " https://auth.example.com/// ", "https://auth.example.com"},
		{"secret byte-exact", steps.KeyTenantPass, "\t" + hostileSecret + " \n", "\t" + hostileSecret + " \n"},
		{"unicode kept", steps.KeyTenantName, "Tenant ünïcödé 名前", "Tenant ünïcödé 名前"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vs, _, _ := steps.Load(steps.Sources{Flags: map[string]string{tt.key: tt.flag}, Environ: environ})
			if vs.Get(tt.key) != tt.want || vs.Source(tt.key) != steps.FromFlag {
				t.Errorf("%s = %q from %q, want %q from flag", tt.key, vs.Get(tt.key), vs.Source(tt.key), tt.want)
			}
		})
	}
}

func TestValidateBadValues(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		key, val string
		wantMsg  string // "" means accepted
	}{
		{steps.KeyCCID, "nope", "must be a UUID like"},
		{steps.KeyCCID, strings.Repeat("9", 1<<20), "must be a UUID like"},
		{steps.KeyCCID, "578ec98e-f07c-46ad-9675-f36c22f3ba9f\n", "must be a UUID"},
		{steps.KeyCCID, "578EC98E-F07C-46AD-9675-F36C22F3BA9F", ""},
		{steps.KeyInsecure, "maybe", "must be true or false"},
		{steps.KeyInsecure, "TRUE", ""},
		{steps.KeyTenantName, "two\nlines", "must be a single line"},
		{steps.KeyTenantName, "carriage\rreturn", "must be a single line"},
		{steps.KeyTenantName, "tab\there", "must not contain control characters (found U+0009 at byte 3)"},
		{steps.KeyTenantName, "nul\x00", "control characters (found U+0000"},
		{steps.KeyTenantName, "esc\x1b[2J", "control characters (found U+001B"},
		{steps.KeyTenantName, "bad\xffutf8", "not valid UTF-8"},
		{steps.KeyTenantName, `O'Brien "t" \ 100% '); DROP TABLE nex_gapis; --`, ""},
		{steps.KeyTenantName, "Tenant ünïcödé 名前 🚀", ""},
		{steps.KeyTenantName, strings.Repeat("n", 1<<20), ""},
		{steps.KeyAdminUser, "ops:admin", `must not contain ":"`},
		{steps.KeyClientID, "nexus:client", `must not contain ":"`},
		{steps.KeyClientID, `nexus'client";--`, ""},
		{steps.KeyClientID, `nexus'client"; --`, "white space"},
		{steps.KeyClientID, `nexus\client%41`, "URL path segment"},
		{steps.KeyTenantUser, `us:er'"%`, ""},                     // a form field: any printable text but…
		{steps.KeyTenantUser, `dom\user`, `must not contain "\"`}, // …the separator of <cc_id>\<tenant_user>
		{steps.KeyAdminPassword, hostileSecret + "\xff", "not valid UTF-8"},
		{steps.KeyTenantPass, hostileSecret + "\n\t\x00", ""}, // passwords may hold anything
		{steps.KeyUCSAPIKey, hostileSecret, ""},
		{steps.KeyDBURL, "mysql://u:" + url.QueryEscape(hostileSecret) + "@h/db", "must be a URL like"},
		{steps.KeyDBURL, "host=db password=" + hostileSecret, "must be a URL like"},
		{steps.KeyDBURL, "postgres://u:" + url.QueryEscape(hostileSecret) + "@db:5432/nexus?sslmode=disable", ""},
		{steps.KeyCAFile, filepath.Join(dir, "missing.pem"), "no such file"},
		{steps.KeyCAFile, dir, "is a directory"},
		{steps.KeyGWSURL, "https://u:" + url.QueryEscape(hostileSecret) + "@gws.example.com", "must not carry credentials"},
		{steps.KeyGWSURL, "https://u:" + hostileSecret + "@gws.example.com", "must be an absolute URL"}, // "%-p" does not parse
		{steps.KeyGWSURL, "https://u:" + url.QueryEscape(hostileSecret) + "@gws example.com", "must be an absolute URL"},
		{steps.KeyGWSURL, "https://gws.example.com/?token=" + url.QueryEscape(hostileSecret), "must not have a query or fragment"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s=%.40q", tt.key, tt.val), func(t *testing.T) {
			vs := steps.NewValues()
			vs.Set(tt.key, tt.val, steps.FromFlag)
			problems := steps.Validate(vs, nil)
			assertNoSecret(t, "problems", problems.Error())
			if tt.wantMsg == "" {
				if len(problems) > 0 {
					t.Errorf("rejected: %v", problems)
				}
				return
			}
			if len(problems) != 1 || problems[0].Key != tt.key || !strings.Contains(problems[0].Msg, tt.wantMsg) {
				t.Errorf("problems %q, want one for %s saying …%s…", problems, tt.key, tt.wantMsg)
			}
			if len(problems) == 1 && len(problems[0].Msg) > 400 {
				t.Errorf("message of %d bytes: the value is not clipped", len(problems[0].Msg))
			}
		})
	}
}

func TestURLNormalisation(t *testing.T) {
	tests := []struct {
		raw       string
		allowHTTP bool
		want      string // normalised value
		wantMsg   string // "" means accepted
	}{
		{"https://gws.example.com/", false, "https://gws.example.com", ""},
		{" https://gws.example.com// ", false, "https://gws.example.com", ""},
		{"https://gws.example.com/ /", false, "https://gws.example.com", ""},
		{"https://gws.example.com/base/", false, "https://gws.example.com/base", ""},
		{"HTTPS://GWS.EXAMPLE.COM", false, "HTTPS://GWS.EXAMPLE.COM", ""},
		{"https://gws.example.com:8443", false, "https://gws.example.com:8443", ""},
		{"https://[::1]:8443/", false, "https://[::1]:8443", ""},
		{"https://[fe80::1%25eth0]", false, "https://[fe80::1%25eth0]", ""},
		{"https://bücher.example", false, "https://bücher.example", ""},
		{"https://xn--bcher-kva.example", false, "https://xn--bcher-kva.example", ""},
		{"https://gws.example.com/it's;v=1/%7Euser/ünï", false, "https://gws.example.com/it's;v=1/%7Euser/ünï", ""},
		{"https://[::1", false, "https://[::1", "must be an absolute URL"},
		{"https://::1", false, "https://::1", "must be an absolute URL"},
		{"https://gws.example.com:99999", false, "https://gws.example.com:99999", "port 99999 is out of range: use 1-65535"},
		{"https://gws.example.com:0", false, "https://gws.example.com:0", "port 0 is out of range"},
		{"https://gws.example.com?", false, "https://gws.example.com?", "must not have a query or fragment"},
		{"https://gws.example.com#", false, "https://gws.example.com#", "must not have a query or fragment"},
		{"https://gws.example.com/#frag", false, "https://gws.example.com/#frag", "must not have a query or fragment"},
		{"https://@gws.example.com", false, "https://@gws.example.com", "must not carry credentials"},
		{"https://gws example.com", false, "https://gws example.com", "must be an absolute URL"},
		{"https://gws.example.com\\evil", false, "https://gws.example.com\\evil", "must be an absolute URL"},
		{"https://gws.example.com/\x00", false, "https://gws.example.com/\x00", "must be an absolute URL"},
		{"https://gws.example.com/\xff", false, "https://gws.example.com/\xff", "not valid UTF-8"},
		{"gws.example.com", false, "gws.example.com", "must be an absolute URL like https://host.example.com"},
		{"//gws.example.com", false, "//gws.example.com", "must be an absolute URL"},
		{"ftp://gws.example.com", false, "ftp://gws.example.com", `must use https (got scheme "ftp")`},
		{"http://127.0.0.1:8080", false, "http://127.0.0.1:8080", "for a loopback port-forward set allow_http_loopback=true"},
		{"http://127.0.0.1:8080", true, "http://127.0.0.1:8080", ""},
		{"http://127.3.2.1", true, "http://127.3.2.1", ""},
		{"http://localhost", true, "http://localhost", ""},
		{"http://LOCALHOST.", true, "http://LOCALHOST.", ""},
		{"http://[::1]:9", true, "http://[::1]:9", ""},
		{"http://gws.example.com", true, "http://gws.example.com", "credentials would cross the network in clear"},
		{"http://localhost.evil.com", true, "http://localhost.evil.com", "credentials would cross the network in clear"},
		{"http://0.0.0.0", true, "http://0.0.0.0", "credentials would cross the network in clear"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q allow=%v", tt.raw, tt.allowHTTP), func(t *testing.T) {
			vs, _, _ := steps.Load(steps.Sources{Flags: map[string]string{
				steps.KeyGWSURL: tt.raw, steps.KeyAllowHTTP: fmt.Sprint(tt.allowHTTP)}})
			if got := vs.Get(steps.KeyGWSURL); got != tt.want {
				t.Errorf("normalised to %q, want %q", got, tt.want)
			}
			got := problemsByKey(steps.Validate(vs, nil))
			if tt.wantMsg == "" {
				if len(got) > 0 {
					t.Errorf("rejected: %v", got)
				}
				return
			}
			if !strings.Contains(got[steps.KeyGWSURL], tt.wantMsg) {
				t.Errorf("problems %q, want gws_url: …%s…", got, tt.wantMsg)
			}
		})
	}
}

// TestSecretsInURLsNeverQuoted pastes secrets where users paste them: in the
// user info or the query of a URL that is wrong anyway.
func TestSecretsInURLsNeverQuoted(t *testing.T) {
	esc := url.QueryEscape(hostileSecret)
	for _, raw := range []string{
		"https://ops:" + esc + "@auth.example.com",
		"https://ops:" + esc + "@auth example.com",
		"https://ops:" + hostileSecret + "@auth.example.com",
		"https://ops:pa/" + esc + "@auth.example.com",
		"https://auth.example.com/?password=" + esc,
		"https://auth.example.com/#" + esc,
		"http://ops:" + esc + "@gws.example.com?x=" + esc,
		"https://ops:" + esc + "@auth.example.com:99999",
	} {
		in, _ := steps.LookupInput(steps.KeyAuthURL)
		err := steps.ValidateValue(in, raw, false)
		if err == nil {
			t.Errorf("%q accepted", raw)
			continue
		}
		assertNoSecret(t, "rejection of "+raw, err.Error(), esc)
	}
}

func TestDSNPasswordsAreSecrets(t *testing.T) {
	vs := steps.NewValues()
	vs.Set(steps.KeyDBURL, "postgres://nexus:"+url.QueryEscape(hostileSecret)+"@db:5432/nexus?sslmode=require&password=query-pw-1&sslpassword=key-pw-22", steps.FromFlag)
	saved := vs.NonSecret()[steps.KeyDBURL]
	for _, s := range []string{hostileSecret, "query-pw-1", "key-pw-22"} {
		if strings.Contains(saved, s) || strings.Contains(saved, url.QueryEscape(s)) {
			t.Errorf("NonSecret keeps %q: %s", s, saved)
		}
	}
	if !strings.Contains(saved, "sslmode=require") || !strings.Contains(saved, "nexus@db:5432/nexus") {
		t.Errorf("NonSecret lost the rest of the DSN: %s", saved)
	}
	known := strings.Join(vs.SecretValues(), "\n")
	for _, s := range []string{hostileSecret, "query-pw-1", "key-pw-22"} {
		if !strings.Contains(known, s) {
			t.Errorf("SecretValues misses %q", s)
		}
	}
}

// --- hostile values end to end ----------------------------------------------

// hostileRun is one onboarding against a fresh sandbox with PostgreSQL.
type hostileRun struct {
	sb   *sandbox.Sandbox
	kr   secrets.Store
	vals steps.Values
}

// startHostile starts a sandbox whose tenant user and passwords are the
// hostile ones, with a database. Without PostgreSQL or a keyring it fails in
// CI and skips elsewhere.
func startHostile(t *testing.T, tenantUser, tenantPass, opsPass string) *hostileRun {
	t.Helper()
	testkit.RequireKeyring(t)
	kr := secrets.Store{Service: testService}
	cc := testkit.UUID()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{ContactCenters: []string{cc}, Dir: t.TempDir(), WithDB: true,
		TenantUser: tenantUser, TenantPassword: tenantPass, OpsPassword: opsPass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if sb.DBURL == "" {
		testkit.Need(t, "PostgreSQL", errors.New(sb.DBNote))
	}
	t.Cleanup(func() {
		for _, n := range []string{secrets.ClientSecret, secrets.NexusAPIKey} {
			kr.Delete(context.Background(), secrets.Account(cc, n))
		}
	})
	return &hostileRun{sb: sb, kr: kr}
}

// load resolves the inputs: the sandbox's config, then the hostile values
// from the source under test (a config file written with a YAML library,
// the environment, or flags).
func (h *hostileRun) load(t *testing.T, source string, hostile map[string]string) {
	t.Helper()
	src := steps.Sources{ConfigPath: h.sb.ConfigFile}
	switch source {
	case "config":
		var base map[string]string
		data, err := os.ReadFile(h.sb.ConfigFile)
		if err == nil {
			err = yaml.Unmarshal(data, &base)
		}
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range hostile {
			base[k] = v
		}
		out, err := yaml.Marshal(base)
		if err != nil {
			t.Fatal(err)
		}
		src.ConfigPath = filepath.Join(t.TempDir(), "hostile.yaml")
		if err := os.WriteFile(src.ConfigPath, out, 0o600); err != nil {
			t.Fatal(err)
		}
	case "env":
		for k, v := range hostile {
			in, _ := steps.LookupInput(k)
			src.Environ = append(src.Environ, in.EnvVar()+"="+v)
		}
	case "flags":
		src.Flags = hostile
	}
	vals, warnings, problems := steps.Load(src)
	if len(problems) > 0 || len(warnings) > 0 {
		t.Fatalf("load: problems %v warnings %v", problems, warnings)
	}
	for k, v := range hostile {
		if vals.Get(k) != v {
			t.Fatalf("%s read from %s as %q, want %q", k, source, vals.Get(k), v)
		}
	}
	h.vals = vals
}

// run validates and then walks the steps (all without only), as `run` does.
func (h *hostileRun) run(t *testing.T, only ...string) (map[string]*steps.Record, error) {
	t.Helper()
	sel, err := steps.Select(only, nil, h.vals)
	if err != nil {
		t.Fatal(err)
	}
	if ps := steps.Validate(h.vals, sel.Required(h.vals)); len(ps) > 0 {
		return nil, ps
	}
	e, err := steps.NewEnv(h.vals.Clone(), steps.Options{Keyring: h.kr,
		HTTP: httpx.Options{BaseBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	if ps := sel.Preflight(context.Background(), e); len(ps) > 0 {
		return nil, ps
	}
	r := &steps.Runner{Env: e, Store: steps.Store{Dir: filepath.Join(t.TempDir(), "state")}, RetryDelay: time.Millisecond}
	defer r.Close()
	recs, err := r.Run(context.Background(), sel)
	out := map[string]*steps.Record{}
	for _, rec := range recs {
		out[rec.ID] = rec
	}
	return out, err
}

// gapis reads nex_gapis back with pgx, outside the tool.
func (h *hostileRun) gapis(t *testing.T) [][3]string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), h.sb.DBURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(context.Background(), "SELECT url, clientid, clientsecret FROM nex_gapis ORDER BY id")
	if err != nil {
		t.Fatalf("nex_gapis unreadable (dropped?): %v", err)
	}
	var out [][3]string
	for rows.Next() {
		var r [3]string
		if err := rows.Scan(&r[0], &r[1], &r[2]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestHostileValuesArriveByteExact(t *testing.T) {
	const sqlInjection = `'); DROP TABLE nex_gapis; --`
	tests := []struct {
		name       string
		source     string // config, env or flags
		tenantUser string
		tenantPass string
		opsPass    string
		tenantName string // tenant_name
		clientID   string
		gwsPath    string // appended to the sandbox's GWS URL
	}{
		{name: "quotes and SQL", source: "config",
			tenantUser: `nex'us"`, tenantPass: sqlInjection + `"\%`, opsPass: `op's:pa"ss\` + sqlInjection,
			tenantName: `O'Brien "tenant"` + sqlInjection, clientID: `nexus'client";DROP--`,
			gwsPath: `/gws;v=1/it's/` + url.PathEscape(sqlInjection)},
		{name: "backslashes percent newlines", source: "env",
			tenantUser: `dom/user%41`, tenantPass: "line1\nline2\r\n\\%00%zz\t\\n", opsPass: `100% \\ back\slash`,
			tenantName: `back\slash 100% \n-literal`, clientID: `nexus$client+41~`,
			gwsPath: "/%7Euser/a+b,c=d!$&*@x/%25"},
		{name: "unicode", source: "flags",
			tenantUser: "ñexus-用户", tenantPass: "пароль-密码-🔑-\u200b-\u202e", opsPass: "ops-ünï-パス",
			tenantName: "Tenant ünïcödé 名前 🚀 \u202eRTL", clientID: "nexus_clïent_名前",
			gwsPath: "/ünï/名前/🚀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startHostile(t, tt.tenantUser, tt.tenantPass, tt.opsPass)
			gwsURL := h.sb.GWSURL + tt.gwsPath
			h.load(t, tt.source, map[string]string{
				steps.KeyTenantUser: tt.tenantUser, steps.KeyTenantPass: tt.tenantPass, steps.KeyAdminPassword: tt.opsPass,
				steps.KeyTenantName: tt.tenantName, steps.KeyClientID: tt.clientID, steps.KeyGWSURL: gwsURL,
			})
			recs, err := h.run(t)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			for id, rec := range recs {
				switch rec.Status {
				case steps.StatusDone, steps.StatusAlreadyDone, steps.StatusManual, steps.StatusSkipped:
				default:
					t.Errorf("step %s: %s %s", id, rec.Status, rec.Error)
				}
				text, _ := json.Marshal(rec)
				assertNoSecret(t, "record of "+id, string(text), tt.tenantPass, tt.opsPass)
			}
			// The password grant worked: the sandbox checks user and
			// password byte for byte before it issues the token.
			if recs[steps.IDTenantToken].Status != steps.StatusDone {
				t.Fatalf("tenant-token %+v", recs[steps.IDTenantToken])
			}

			tenants := h.sb.Tenants()
			if len(tenants) != 1 {
				t.Fatalf("%d tenants", len(tenants))
			}
			for field, want := range map[string]string{"name": tt.tenantName, "username": tt.tenantUser, "backendurl": gwsURL, "id": h.sb.CCID} {
				if got := tenants[0][field]; got != want {
					t.Errorf("tenant %s arrived as %q, want %q", field, got, want)
				}
			}
			// The tenant body's token is the password: the sandbox refuses
			// the tenant unless it matches byte for byte, and keeps nothing.
			clients := h.sb.Clients()
			if len(clients) != 1 || clients[0]["client_id"] != tt.clientID {
				t.Errorf("auth clients %v, want one %q", clientIDs(clients), tt.clientID)
			}

			secret, err := h.kr.Get(context.Background(), secrets.ClientSecretAccount(h.sb.AuthURL, tt.clientID))
			if err != nil {
				t.Fatal(err)
			}
			rows := h.gapis(t)
			if len(rows) != 1 {
				t.Fatalf("nex_gapis has %d rows: %q", len(rows), rows)
			}
			if rows[0] != [3]string{gwsURL, tt.clientID, secret} {
				t.Errorf("nex_gapis row (url, clientid) = (%q, %q), want (%q, %q); secret matches: %v",
					rows[0][0], rows[0][1], gwsURL, tt.clientID, rows[0][2] == secret)
			}
		})
	}
}

func clientIDs(cs []map[string]any) []any {
	var out []any
	for _, c := range cs {
		out = append(out, c["client_id"])
	}
	return out
}

// TestNewlineInTenantNameRefusedBeforeAnyRequest: tenant_name is one line of
// text; a newline is refused with a message naming the key, and nothing is
// sent.
func TestNewlineInTenantNameRefusedBeforeAnyRequest(t *testing.T) {
	h := startHostile(t, "nexus", hostileSecret, "")
	for _, source := range []string{"config", "env", "flags"} {
		t.Run(source, func(t *testing.T) {
			h.load(t, source, map[string]string{steps.KeyTenantName: "first line\nsecond line", steps.KeyTenantPass: hostileSecret})
			_, err := h.run(t)
			ps, ok := err.(steps.Problems)
			if !ok {
				t.Fatalf("err = %v, want input problems", err)
			}
			if got := problemsByKey(ps); len(ps) != 1 || got[steps.KeyTenantName] != "must be a single line" {
				t.Errorf("problems %q", ps)
			}
			assertNoSecret(t, "problems", ps.Error())
			if n := len(h.sb.Requests()); n != 0 {
				t.Errorf("%d requests sent before the input was fixed", n)
			}
		})
	}
}

// TestPasswordGrantIsByteExact shows that the checks above have teeth: the
// sandbox refuses a password that differs by one trailing byte, and the
// tool sends a secret as given, without trimming it.
func TestPasswordGrantIsByteExact(t *testing.T) {
	const pass = "  padded pass\t"
	h := startHostile(t, "nexus", pass, "")
	for _, tt := range []struct {
		given string
		ok    bool
	}{{pass, true}, {strings.TrimSpace(pass), false}, {pass + "\n", false}} {
		h.load(t, "flags", map[string]string{steps.KeyTenantPass: tt.given})
		recs, err := h.run(t, steps.IDAuthClient, steps.IDTenantToken)
		if tt.ok != (err == nil) {
			t.Errorf("password %q: err %v", tt.given, err)
		}
		if !tt.ok && (recs[steps.IDTenantToken] == nil || !strings.Contains(recs[steps.IDTenantToken].Error, "400") && !strings.Contains(recs[steps.IDTenantToken].Error, "401")) {
			t.Errorf("password %q: tenant-token %+v, want the sandbox's refusal", tt.given, recs[steps.IDTenantToken])
		}
	}
}
