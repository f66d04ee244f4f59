package steps

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("gws_url: https://config.example\nauth_url: https://config-auth.example/\ntenant_name: from_config\ninsecure_skip_verify: false\n"), 0o600)
	vs, warnings, problems := Load(Sources{
		Flags:      map[string]string{KeyGWSURL: "https://flag.example"},
		Environ:    []string{"NEXUS_ONBOARD_GWS_URL=https://env.example", "NEXUS_ONBOARD_TENANT_USER=env_user", "NEXUS_ONBOARD_UNKNOWN=x", "OTHER=y"},
		ConfigPath: cfg,
		Saved:      map[string]string{KeyTenantName: "saved", KeyNexusURL: "https://saved.example", KeyAdminPassword: "must-not-load"},
	})
	if len(problems) > 0 || len(warnings) > 0 {
		t.Fatalf("problems %v warnings %v", problems, warnings)
	}
	for key, want := range map[string]struct {
		v   string
		src Source
	}{
		KeyGWSURL:        {"https://flag.example", FromFlag},
		KeyTenantUser:    {"env_user", FromEnv},
		KeyTenantName:    {"from_config", FromConfig},
		KeyAuthURL:       {"https://config-auth.example", FromConfig}, // trailing slash trimmed
		KeyNexusURL:      {"https://saved.example", FromSaved},
		KeyClientID:      {"nexus_client", FromDefault},
		KeyAdminPassword: {"", ""}, // secrets never come from saved state
	} {
		if vs.Get(key) != want.v || vs.Source(key) != want.src {
			t.Errorf("%s = %q from %q, want %q from %q", key, vs.Get(key), vs.Source(key), want.v, want.src)
		}
	}
}

func TestConfigProblemsAndPermissionWarning(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("gws_url: [a, b]\nbogus: 1\ngws_admin_password: s3cret-value\n"), 0o644)
	_, warnings, problems := Load(Sources{ConfigPath: cfg})
	keys := []string{}
	for _, p := range problems {
		keys = append(keys, p.Key)
	}
	if !slices.Contains(keys, "gws_url") || !slices.Contains(keys, "bogus") {
		t.Errorf("problems %v", problems)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "chmod 600") || strings.Contains(warnings[0], "s3cret-value") {
		t.Errorf("warnings %v", warnings)
	}
	if _, _, ps := Load(Sources{ConfigPath: filepath.Join(dir, "missing.yaml")}); len(ps) != 1 || ps[0].Key != "config" {
		t.Errorf("missing file: %v", ps)
	}
	if _, ps := ParseConfig([]byte("a: b: c")); len(ps) != 1 || !strings.Contains(ps[0].Msg, "YAML") {
		t.Errorf("bad yaml: %v", ps)
	}
}

func TestValidateReportsEverything(t *testing.T) {
	vs := NewValues()
	vs.Set(KeyGWSURL, "http://x", FromFlag)
	vs.Set(KeyAuthURL, "https://auth.example", FromFlag)
	vs.Set(KeyNexusURL, "ftp://nexus.example", FromFlag)
	vs.Set(KeyCCID, "nope", FromFlag)
	vs.Set(KeyDBURL, "mysql://x", FromFlag)
	vs.Set(KeyAdminPassword, "hunter2-secret", FromFlag)
	ps := Validate(vs, []string{KeyGWSURL, KeyTenantName, KeyAdminUser})
	got := map[string]string{}
	for _, p := range ps {
		got[p.Key] = p.Msg
	}
	for key, want := range map[string]string{
		KeyGWSURL: "must use https", KeyNexusURL: "must use https", KeyCCID: "must be a UUID",
		KeyTenantName: "required", KeyAdminUser: "required", KeyDBURL: "must be a URL",
	} {
		if !strings.Contains(got[key], want) {
			t.Errorf("%s: %q, want it to say %q", key, got[key], want)
		}
	}
	if _, bad := got[KeyAuthURL]; bad {
		t.Errorf("auth_url rejected: %s", got[KeyAuthURL])
	}
	if strings.Contains(ps.Error(), "hunter2-secret") {
		t.Error("a problem message carries a secret")
	}
}

func TestLoopbackHTTPNeedsExplicitFlag(t *testing.T) {
	in, _ := LookupInput(KeyAuthURL)
	cases := []struct {
		url   string
		allow bool
		ok    bool
	}{
		{"http://127.0.0.1:8080", false, false},
		{"http://127.0.0.1:8080", true, true},
		{"http://localhost", true, true},
		{"http://[::1]:9", true, true},
		{"http://auth.example", true, false},
		{"https://auth.example/base", false, true},
		{"https://user:pw@auth.example", false, false},
		{"auth.example", false, false},
		{"https://auth.example?x=1", false, false},
	}
	for _, c := range cases {
		err := ValidateValue(in, c.url, c.allow)
		if (err == nil) != c.ok {
			t.Errorf("%s allow=%v: err %v", c.url, c.allow, err)
		}
	}
}

func TestNonSecretDropsSecrets(t *testing.T) {
	vs := NewValues()
	vs.Set(KeyDBURL, "postgres://nexus:pa55word@db:5432/nexus", FromFlag)
	vs.Set(KeyTenantPass, "tenant-pw", FromFlag)
	vs.Set(KeyTenantUser, "nexus", FromFlag)
	ns := vs.NonSecret()
	if _, ok := ns[KeyTenantPass]; ok || strings.Contains(ns[KeyDBURL], "pa55word") || ns[KeyTenantUser] != "nexus" {
		t.Errorf("NonSecret = %v", ns)
	}
	sv := vs.SecretValues()
	if !slices.Contains(sv, "pa55word") || !slices.Contains(sv, "tenant-pw") {
		t.Errorf("SecretValues = %v", sv)
	}
}

func TestEverySchemaKeyHasFlagAndEnv(t *testing.T) {
	for _, in := range Inputs {
		if in.Label == "" || in.Help == "" || in.Group == "" {
			t.Errorf("%s lacks label, help or group", in.Key)
		}
		if in.EnvVar() != "NEXUS_ONBOARD_"+strings.ToUpper(in.Key) || strings.Contains(in.Flag(), "_") {
			t.Errorf("%s: env %s flag %s", in.Key, in.EnvVar(), in.Flag())
		}
	}
}

// allow_http_hosts opens plain http to the hosts it names (or a ".suffix"
// of at least two labels), and to nothing else; loopback still needs
// allow_http_loopback.
func TestAllowHTTPHosts(t *testing.T) {
	in, _ := LookupInput(KeyAuthURL)
	p := HTTPPolicy{Hosts: SplitHosts(" .svc.cluster.local, gws-internal ")}
	for _, c := range []struct {
		url string
		ok  bool
	}{
		{"http://gauth-auth.gauth.svc.cluster.local", true},
		{"http://gauth-auth.gauth.svc.cluster.local.:8080", true},
		{"http://GWS-INTERNAL:8080", true},
		{"http://gws-internal.evil.example.com", false},
		{"http://svc.cluster.local.evil.example.com", false},
		{"http://example.com", false},
		{"http://127.0.0.1:8080", false},
		{"https://anything.example.com", true},
	} {
		err := ValidateValueWith(in, c.url, p)
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.url, err, c.ok)
		}
	}
	hosts, _ := LookupInput(KeyHTTPHosts)
	for _, bad := range []string{"*", ".local", "http://x.svc", "host:80", "a b", "."} {
		if err := ValidateValue(hosts, bad, false); err == nil {
			t.Errorf("allow_http_hosts %q accepted", bad)
		}
	}
	if err := ValidateValue(hosts, ".svc.cluster.local,gauth-auth", false); err != nil {
		t.Errorf("a valid list refused: %v", err)
	}
}

// A run with an http URL opened by allow_http_hosts says so, once.
func TestAllowHTTPHostsWarnsOnce(t *testing.T) {
	vs := NewValues()
	vs.Set(KeyAuthURL, "http://gauth-auth.gauth.svc.cluster.local", FromConfig)
	vs.Set(KeyNexusURL, "https://nexus.example.com", FromConfig)
	vs.Set(KeyHTTPHosts, ".svc.cluster.local", FromConfig)
	var warned []string
	e, err := NewEnv(vs, Options{Warn: func(s string) { warned = append(warned, s) }, Keyring: nil})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if len(warned) != 1 || !strings.Contains(warned[0], "auth_url reached over plain http") {
		t.Errorf("warnings %q", warned)
	}
}
