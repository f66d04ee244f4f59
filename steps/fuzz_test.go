package steps_test

// Fuzz targets for every way an input comes in (config file, environment,
// flags) and for the validator, URL normalisation included. Each asserts
// properties that hold for any input: no panic, every rejection names a key
// and says why, no secret value quoted in a problem, and accepted values are
// safe to use as the steps use them. `bash .ci/fuzz` runs each for a bounded
// time; the seeds below also run as plain tests.

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// marker is planted in seeds where a secret sits; a problem message that
// contains it has quoted a secret.
const marker = "S3cr3t"

var configSeeds = []string{
	"gws_url: https://gws.example.com\nauth_url: https://auth.example.com/\ncc_id: 578ec98e-f07c-46ad-9675-f36c22f3ba9f\ntenant_name: premise_tenant\n",
	"\ufeffgws_url: https://gws.example.com\n",
	"gws_admin_password: \"" + marker + "-pw\\\"quote\\\\back\"\ntenant_password: '" + marker + " it''s'\n",
	"tenant_password: |\n  " + marker + " line1\n  line2\n",
	"gws_url: [a, b]\n", "gws_url: {a: b}\n", "gws_url: ~\n", "gws_url:\n", "bogus: 1\n", "gws-url: x\n",
	"gws_url: a\ngws_url: b\n", "\tgws_url: x\n", "gws_url: x\n\ttenant_name: y\n",
	"- a\n- b\n", "just text", marker, "", "---\n", "# only a comment\n",
	"a: &x " + marker + "\ngws_url: *x\n", "gws_url: *nope\n", "<<: {gws_url: x}\n",
	"? [a]\n: b\n", "null: x\n", "~: x\n", "\"\": x\n", "\"\\u001b[2J\": x\n",
	"gws_admin_password: !!binary aGVsbG8=\n", "gws_admin_password: !!int " + marker + "\n",
	"tenant_name: 0x1F\ntenant_password: 00123\ninsecure_skip_verify: yes\n",
	"---\ngws_url: a\n---\ngws_url: b\n", "gws_url: a\n...\n", "{gws_url: x, gws_url: y}",
	"tenant_name: \"a\\u0000b\"\n", "db_url: postgres://nexus:" + marker + "@db:5432/nexus?password=" + marker + "2\n",
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range configSeeds {
		f.Add([]byte(s))
	}
	known := strings.Join(steps.InputKeys(), ", ")
	f.Fuzz(func(t *testing.T, data []byte) {
		out, problems := steps.ParseConfig(data)
		for k := range out {
			if _, ok := steps.LookupInput(k); !ok {
				t.Errorf("unknown key %q accepted", k)
			}
		}
		for _, p := range problems {
			if strings.TrimSpace(p.Key) == "" || p.Msg == "" {
				t.Errorf("problem without a key or a reason: %+v", p)
			}
			if _, ok := out[p.Key]; ok {
				t.Errorf("%s both accepted and rejected: %+v", p.Key, p)
			}
		}
		// A value read from the file is never quoted back in a problem.
		for k, v := range out {
			if len(v) < 8 || strings.Contains(known, v) {
				continue
			}
			for _, p := range problems {
				if strings.Contains(p.Msg, v) && !strings.Contains(p.Key, v) {
					t.Errorf("problem %q quotes the value of %s", p.Msg, k)
				}
			}
		}
		// What a program writes with a YAML library reads back byte-exact
		// (the sandbox writes its config so; users' tools do too).
		for k, v := range out {
			text, err := yaml.Marshal(map[string]string{k: v})
			if err != nil {
				t.Fatalf("marshal %s: %v", k, err)
			}
			back, ps := steps.ParseConfig(text)
			if len(ps) > 0 || back[k] != v {
				t.Errorf("%s = %q does not survive a round trip through YAML: got %q, problems %v", k, v, back[k], ps)
			}
		}
	})
}

// fuzzEnv turns fuzz text into environment entries, one a line.
func fuzzEnv(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// normalised is what Load makes of a value of in.
func normalised(in steps.Input, v string) string {
	switch {
	case in.Kind == steps.URL:
		return strings.TrimRightFunc(strings.TrimSpace(v), func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
	case in.Secret():
		return v
	case in.Kind == steps.Bool:
		// Booleans are canonical: true or false.
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return strconv.FormatBool(b)
		}
	case in.Kind == steps.UUID:
		// Ids are canonical in lower case.
		if t := strings.TrimSpace(v); uuidShape.MatchString(t) {
			return strings.ToLower(t)
		}
	}
	return strings.TrimSpace(v)
}

// hasDSNPassword reports whether a PostgreSQL URL still carries a password.
func hasDSNPassword(dsn string) bool {
	u, err := url.Parse(dsn)
	if err != nil {
		return false
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	q := u.Query()
	return q.Has("password") || q.Has("sslpassword")
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(configSeeds[0]), "NEXUS_ONBOARD_GWS_URL=https://env.example/\nNEXUS_ONBOARD_TENANT_PASSWORD= "+marker+" \n", uint8(0), " https://flag.example// ")
	f.Add([]byte(configSeeds[2]), "NEXUS_ONBOARD_CC_ID=\nnexus_onboard_tenant_name=lower\nNEXUS_ONBOARD_Tenant_Name=mixed", uint8(9), marker+"\n")
	f.Add([]byte("db_url: postgres://u:"+marker+"@h/db?password="+marker+"&sslmode=disable\n"), "NEXUS_ONBOARD_DB_URL=postgres://u@h/db?sslpassword="+marker, uint8(1), "")
	f.Add([]byte("cc_id: nope\n"), "NEXUS_ONBOARD_INSECURE_SKIP_VERIFY=maybe\nNEXUS_ONBOARD_=x\n=\nNEXUS_ONBOARD_GWS_URL", uint8(11), "not-a-uuid")
	f.Add([]byte(nil), "NEXUS_ONBOARD_GWS_ADMIN_USER=ops:x\nNEXUS_ONBOARD_TENANT_NAME=a\tb", uint8(5), "http://127.0.0.1:8080")
	cfg := filepath.Join(f.TempDir(), "config.yaml")
	f.Fuzz(func(t *testing.T, config []byte, environ string, flagIdx uint8, flagVal string) {
		if err := os.WriteFile(cfg, config, 0o600); err != nil {
			t.Fatal(err)
		}
		flagIn := steps.Inputs[int(flagIdx)%len(steps.Inputs)]
		env := fuzzEnv(environ)
		vs, _, problems := steps.Load(steps.Sources{Flags: map[string]string{flagIn.Key: flagVal}, Environ: env, ConfigPath: cfg})
		for _, p := range problems {
			if p.Key == "" || p.Msg == "" {
				t.Errorf("problem without a key or a reason: %+v", p)
			}
		}
		// The flag wins, normalised; a secret arrives byte-exact.
		if got := vs.Get(flagIn.Key); got != normalised(flagIn, flagVal) || vs.Source(flagIn.Key) != steps.FromFlag {
			t.Errorf("flag %s=%q: got %q from %q", flagIn.Key, flagVal, got, vs.Source(flagIn.Key))
		}
		// The last non-empty NEXUS_ONBOARD_<KEY> wins over the config file.
		lastEnv := map[string]string{}
		for _, kv := range env {
			k, v, ok := strings.Cut(kv, "=")
			if ok && v != "" && strings.HasPrefix(k, steps.EnvPrefix) {
				lastEnv[strings.ToLower(strings.TrimPrefix(k, steps.EnvPrefix))] = v
			}
		}
		for _, in := range steps.Inputs {
			v := vs.Get(in.Key)
			if ev, ok := lastEnv[in.Key]; ok && in.Key != flagIn.Key {
				if v != normalised(in, ev) || vs.Source(in.Key) != steps.FromEnv {
					t.Errorf("env %s=%q: got %q from %q", in.EnvVar(), ev, v, vs.Source(in.Key))
				}
			}
			if !in.Secret() && v != strings.TrimSpace(v) {
				t.Errorf("%s keeps surrounding space: %q", in.Key, v)
			}
			if in.Kind == steps.URL && strings.HasSuffix(v, "/") {
				t.Errorf("%s keeps a trailing slash: %q", in.Key, v)
			}
		}
		checkValidateKeepsSecrets(t, vs)
	})
}

// checkValidateKeepsSecrets asserts that Validate names a known key in each
// problem and that no problem depends on, or quotes, a secret value.
func checkValidateKeepsSecrets(t *testing.T, vs steps.Values) {
	t.Helper()
	problems := steps.Validate(vs, steps.InputKeys())
	placeholder := vs.Clone()
	for _, in := range steps.Inputs {
		if in.Secret() && vs.Get(in.Key) != "" {
			placeholder.Set(in.Key, "placeholder", steps.FromUser)
		}
	}
	byKey := map[string]string{}
	for _, p := range steps.Validate(placeholder, steps.InputKeys()) {
		byKey[p.Key] = p.Msg
	}
	for _, p := range problems {
		in, ok := steps.LookupInput(p.Key)
		if !ok || p.Msg == "" {
			t.Errorf("problem %+v does not name a known input or lacks a reason", p)
			continue
		}
		if in.Secret() {
			if v := vs.Get(in.Key); len(v) >= 4 && strings.Contains(p.Msg, v) {
				t.Errorf("%s: problem quotes the secret: %q", p.Key, p.Msg)
			}
			continue
		}
		if byKey[p.Key] != p.Msg {
			t.Errorf("%s: problem %q changes with the secret values (placeholder gives %q)", p.Key, p.Msg, byKey[p.Key])
		}
	}
	if db := vs.NonSecret()[steps.KeyDBURL]; hasDSNPassword(db) {
		t.Errorf("NonSecret keeps a password in db_url: %q", db)
	}
	secretVals := map[string]bool{}
	for _, s := range vs.SecretValues() {
		secretVals[s] = true
	}
	for _, in := range steps.Inputs {
		if in.Secret() && vs.Get(in.Key) != "" && !secretVals[vs.Get(in.Key)] {
			t.Errorf("SecretValues misses %s", in.Key)
		}
	}
}

var uuidShape = regexp.MustCompile(`^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$`)

// sensitiveURLParts are the parts of a URL value shownURL must mask: what
// could be user info, and the query and fragment.
func sensitiveURLParts(val string) []string {
	var parts []string
	head := val
	if i := strings.IndexAny(val, "?#"); i >= 0 {
		head, parts = val[:i], append(parts, val[i:])
	}
	if i := strings.Index(head, "://"); i >= 0 {
		head = head[i+3:]
	}
	if at := strings.LastIndex(head, "@"); at >= 0 {
		parts = append(parts, head[:at])
	}
	return parts
}

// quotesSensitiveURLPart reports whether msg shows the marker more often
// than the parts of val that may be shown (scheme, host, path) hold it.
func quotesSensitiveURLPart(msg, val string) bool {
	shown := val
	for _, part := range sensitiveURLParts(val) {
		shown = strings.Replace(shown, part, "", 1)
	}
	return strings.Count(msg, marker) > strings.Count(shown, marker)
}

// checkAcceptedURL asserts what the clients rely on when they append an API
// path to a configured base URL.
func checkAcceptedURL(t *testing.T, val string, allowHTTP bool) {
	t.Helper()
	base, err := url.Parse(val)
	if err != nil {
		t.Fatalf("accepted %q does not parse: %v", val, err)
	}
	const path = "/auth/v3/ops/clients"
	u, err := url.Parse(val + path)
	switch {
	case err != nil:
		t.Errorf("accepted %q: base+path does not parse: %v", val, err)
	case u.Host != base.Host || u.Host == "":
		t.Errorf("accepted %q: base+path goes to host %q", val, u.Host)
	case !strings.HasSuffix(u.Path, path) || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		t.Errorf("accepted %q: base+path is path %q query %q fragment %q", val, u.Path, u.RawQuery, u.Fragment)
	case u.User != nil:
		t.Errorf("accepted %q with credentials", val)
	}
	if p := base.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			t.Errorf("accepted %q with port %q", val, p)
		}
	}
	switch strings.ToLower(base.Scheme) {
	case "https":
	case "http":
		if !allowHTTP {
			t.Errorf("accepted http %q without allow_http_loopback", val)
		}
		h := strings.TrimSuffix(strings.ToLower(base.Hostname()), ".")
		if h != "localhost" && !strings.HasPrefix(h, "127.") && h != "::1" && !strings.HasPrefix(h, "::ffff:127.") {
			t.Errorf("accepted http for a host that is not loopback: %q", val)
		}
	default:
		t.Errorf("accepted scheme %q", base.Scheme)
	}
}

var urlSeeds = []string{
	"https://gws.example.com", "https://gws.example.com/", "https://gws.example.com/base/", " https://gws.example.com// ",
	"https://h?", "https://h#", "https://h/?token=" + marker, "https://h:99999", "https://h:0", "https://h:", "https://h:443:443",
	"https://bücher.example", "https://xn--bcher-kva.example", "https://gws example.com", "https://h/a b", "https://h/%41%2F",
	"https://::1", "https://[::1]", "https://[::1]:8443/x", "https://[fe80::1%25eth0]", "https://[::1",
	"https://u:" + marker + "@h", "https://u:" + marker + "%zz@h", "https://u:" + marker + "@h x", "https://u:p/" + marker + "@h", "https://@h",
	"HTTPS://H", "https:h", "https:///x", "https:// h", "https://h\\evil.com", "https://h/\xff", "https://h/\x00",
	"http://127.0.0.1:8080", "http://127.0.0.2", "http://localhost", "http://LOCALHOST.", "http://[::1]:9", "http://[::ffff:127.0.0.1]",
	"http://localhost.evil.com", "http://0.0.0.0", "http://auth.example", "ftp://h", "//h", "gws.example.com", "javascript:alert(1)",
}

func FuzzURLInput(f *testing.F) {
	for _, s := range urlSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, raw string, allowHTTP bool) {
		vs, _, _ := steps.Load(steps.Sources{Flags: map[string]string{steps.KeyAuthURL: raw, steps.KeyAllowHTTP: strconv.FormatBool(allowHTTP)}})
		val := vs.Get(steps.KeyAuthURL)
		again, _, _ := steps.Load(steps.Sources{Flags: map[string]string{steps.KeyAuthURL: val}})
		if again.Get(steps.KeyAuthURL) != val {
			t.Errorf("normalisation not stable: %q -> %q -> %q", raw, val, again.Get(steps.KeyAuthURL))
		}
		var problem *steps.Problem
		for _, p := range steps.Validate(vs, nil) {
			if p.Key == steps.KeyAuthURL {
				problem = &p
			} else {
				t.Errorf("unexpected problem %+v", p)
			}
		}
		if problem == nil {
			if val != "" {
				checkAcceptedURL(t, val, allowHTTP)
			}
			return
		}
		if problem.Msg == "" {
			t.Errorf("rejection of %q says nothing", raw)
		}
		if quotesSensitiveURLPart(problem.Msg, val) {
			t.Errorf("rejection quotes credentials or query of %q: %s", val, problem.Msg)
		}
	})
}

func FuzzValidateValue(f *testing.F) {
	seeds := []string{
		"578ec98e-f07c-46ad-9675-f36c22f3ba9f", "578EC98E-F07C-46AD-9675-F36C22F3BA9F", "578ec98e-f07c-46ad-9675-f36c22f3ba9", "nope",
		"true", "FALSE", "1", "yes", "premise_tenant", "a\nb", "a\rb", "a\tb", "a\x00b", "\x1b[2J", "ops:x", "ü-ñ 名前", "\xff\xfe",
		"postgres://nexus:" + marker + "@db:5432/nexus", "postgresql://db/nexus?password=" + marker, "mysql://x", "host=db password=" + marker,
		"/etc/hostname", "/nonexistent/ca.pem", "/tmp", marker + "'\"\\%;--",
	}
	seeds = append(seeds, urlSeeds...)
	for i := range steps.Inputs {
		for _, s := range seeds {
			f.Add(uint8(i), s, false)
		}
	}
	f.Fuzz(func(t *testing.T, idx uint8, val string, allowHTTP bool) {
		in := steps.Inputs[int(idx)%len(steps.Inputs)]
		err := steps.ValidateValue(in, val, allowHTTP)
		if err != nil {
			msg := err.Error()
			if msg == "" {
				t.Fatalf("%s: empty rejection of %q", in.Key, val)
			}
			if in.Secret() && len(val) >= 4 && strings.Contains(msg, val) {
				t.Errorf("%s: rejection quotes the secret: %q", in.Key, msg)
			}
			if in.Kind == steps.DSN && strings.Contains(msg, marker) {
				t.Errorf("%s: rejection quotes the DSN: %q", in.Key, msg)
			}
			if in.Kind == steps.URL && quotesSensitiveURLPart(msg, val) {
				t.Errorf("%s: rejection quotes credentials or query of %q: %s", in.Key, val, msg)
			}
			return
		}
		if val == "" {
			return
		}
		if !utf8.ValidString(val) {
			t.Errorf("%s: accepted invalid UTF-8 %q", in.Key, val)
		}
		switch in.Kind {
		case steps.URL:
			checkAcceptedURL(t, val, allowHTTP)
		case steps.UUID:
			if !uuidShape.MatchString(val) {
				t.Errorf("accepted cc_id %q", val)
			}
		case steps.Bool:
			if _, err := strconv.ParseBool(val); err != nil {
				t.Errorf("%s: accepted %q", in.Key, val)
			}
		case steps.Text:
			if strings.IndexFunc(val, unicode.IsControl) >= 0 {
				t.Errorf("%s: accepted control characters in %q", in.Key, val)
			}
			if (in.Key == steps.KeyAdminUser || in.Key == steps.KeyClientID) && strings.Contains(val, ":") {
				t.Errorf("%s: accepted %q, which HTTP basic cannot carry", in.Key, val)
			}
		case steps.DSN:
			u, err := url.Parse(val)
			if err != nil || u.Host == "" || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
				t.Errorf("%s: accepted %q", in.Key, val)
			}
		}
	})
}
