package cli

// The command line's inputs: boolean inputs are boolean flags with the
// schema's precedence, every --help fits 100 columns and shows no secret
// flag where no secret is used, `inputs` lists every input, `version`
// falls back on the build information, and a config file that cannot be
// used is reported alone.

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// writeConfig writes a config file with the given mode and returns its path.
func writeConfig(t *testing.T, body string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenant.yaml")
	if err := os.WriteFile(path, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return path
}

// planConfig holds every non-secret input plan needs.
const planConfig = `gws_url: https://gws.example.invalid
auth_url: https://auth.example.invalid
nexus_url: https://nexus.example.invalid
gws_admin_user: ops
tenant_user: nexus
tenant_name: premise_tenant
cc_id: ` + stateCC + "\n"

func TestBooleanInputsAreBooleanFlags(t *testing.T) {
	parse := func(t *testing.T, args ...string) (*common, []string) {
		t.Helper()
		var c common
		fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
		c.register(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return &c, fs.Args()
	}
	c, rest := parse(t, "--insecure-skip-verify")
	if got := c.givenInputs(); got[steps.KeyInsecure] != "true" || len(got) != 1 {
		t.Errorf("--insecure-skip-verify alone: %v", got)
	}
	c, rest = parse(t, "--allow-http-loopback", "--gws-url", "http://127.0.0.1:8080")
	if got := c.givenInputs(); len(rest) != 0 || got[steps.KeyAllowHTTP] != "true" || got[steps.KeyGWSURL] != "http://127.0.0.1:8080" {
		t.Errorf("--allow-http-loopback --gws-url …: %v, left %v", got, rest)
	}
	c, _ = parse(t, "--allow-http-loopback=false", "--insecure-skip-verify=true")
	if got := c.givenInputs(); got[steps.KeyAllowHTTP] != "false" || got[steps.KeyInsecure] != "true" {
		t.Errorf("--x=false, --y=true: %v", got)
	}
	// A flag left out is no value: it never hides the environment or config.
	c, _ = parse(t, "--gws-url", "https://g")
	if got := c.givenInputs(); len(got) != 1 {
		t.Errorf("unset booleans counted as given: %v", got)
	}
	// Suggested commands repeat a boolean as --x=true, which parses again.
	c, _ = parse(t, "--insecure-skip-verify")
	if cmd := c.invocation().Command("run"); !strings.Contains(cmd, "--insecure-skip-verify=true") {
		t.Errorf("suggested command %q lacks --insecure-skip-verify=true", cmd)
	}
	// A boolean flag takes no separate argument: the old `--x true` form
	// leaves "true" as an argument, which the commands refuse (exit 2).
	if r := runCLI(t, nil, "steps", "--insecure-skip-verify", "true"); r.code != app.ExitUsage {
		t.Errorf("--insecure-skip-verify true: exit %d, want 2\n%s", r.code, r.stderr)
	}
}

// flag > environment > config file > default, for booleans written as
// true/false or 1/0 in the environment and the config file.
func TestBooleanInputPrecedence(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		environ []string
		config  string
		want    bool
		src     steps.Source
	}{
		{"default", nil, nil, "", false, steps.FromDefault},
		{"config 1", nil, nil, "allow_http_loopback: 1\n", true, steps.FromConfig},
		{"config True", nil, nil, "allow_http_loopback: True\n", true, steps.FromConfig},
		{"env 1 over config false", nil, []string{"NEXUS_ONBOARD_ALLOW_HTTP_LOOPBACK=1"}, "allow_http_loopback: false\n", true, steps.FromEnv},
		{"env 0 over config true", nil, []string{"NEXUS_ONBOARD_ALLOW_HTTP_LOOPBACK=0"}, "allow_http_loopback: true\n", false, steps.FromEnv},
		{"empty env is unset", nil, []string{"NEXUS_ONBOARD_ALLOW_HTTP_LOOPBACK="}, "allow_http_loopback: 1\n", true, steps.FromConfig},
		{"flag over env", []string{"--allow-http-loopback"}, []string{"NEXUS_ONBOARD_ALLOW_HTTP_LOOPBACK=false"}, "", true, steps.FromFlag},
		{"flag =false over env", []string{"--allow-http-loopback=false"}, []string{"NEXUS_ONBOARD_ALLOW_HTTP_LOOPBACK=TRUE"}, "allow_http_loopback: true\n", false, steps.FromFlag},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var c common
			fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
			c.register(fs)
			args := append([]string{"--state-dir", t.TempDir()}, tc.args...)
			if tc.config != "" {
				args = append(args, "--config", writeConfig(t, tc.config, 0o600))
			}
			if err := fs.Parse(args); err != nil {
				t.Fatal(err)
			}
			vals, _, problems := c.load(&App{Environ: tc.environ})
			if len(problems) > 0 {
				t.Fatal(problems)
			}
			if got, src := vals.Bool(steps.KeyAllowHTTP), vals.Source(steps.KeyAllowHTTP); got != tc.want || src != tc.src {
				t.Errorf("allow_http_loopback = %v from %s, want %v from %s", got, src, tc.want, tc.src)
			}
			// Shown and saved in one spelling.
			if got := vals.Get(steps.KeyAllowHTTP); got != "true" && got != "false" {
				t.Errorf("value %q, want true or false", got)
			}
		})
	}
}

// The boolean flags work end to end: plan accepts an http loopback URL
// with --allow-http-loopback, refuses it with =false, and names a value
// that is no boolean.
func TestBooleanFlagsInPlan(t *testing.T) {
	cfg := writeConfig(t, planConfig, 0o600)
	state := t.TempDir()
	base := []string{"plan", "--config", cfg, "--state-dir", state, "--only", "chat-service-uri"}
	r := runCLI(t, nil, append(base, "--allow-http-loopback", "--auth-url", "http://127.0.0.1:8080")...)
	if r.code != app.ExitOK || !strings.Contains(r.stdout, "http://127.0.0.1:8080/environment/v3/contact-centers/") {
		t.Errorf("--allow-http-loopback --auth-url http://127.0.0.1:8080: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, []string{"NEXUS_ONBOARD_ALLOW_HTTP_LOOPBACK=1"}, append(base, "--allow-http-loopback=false", "--auth-url", "http://127.0.0.1:8080")...)
	if r.code != app.ExitUsage || !strings.Contains(r.stderr, "auth_url: must use https") {
		t.Errorf("--allow-http-loopback=false over the environment: exit %d\n%s", r.code, r.stderr)
	}
	for _, bad := range []string{"maybe", "yes"} {
		r = runCLI(t, []string{"NEXUS_ONBOARD_INSECURE_SKIP_VERIFY=" + bad}, base...)
		if r.code != app.ExitUsage || !strings.Contains(r.stderr, "insecure_skip_verify: must be true or false") {
			t.Errorf("NEXUS_ONBOARD_INSECURE_SKIP_VERIFY=%s: exit %d\n%s", bad, r.code, r.stderr)
		}
	}
}

// commandPaths lists every command of the tree, as arguments.
func commandPaths(cmd *cobra.Command, prefix []string) [][]string {
	var out [][]string
	for _, sub := range cmd.Commands() {
		p := append(slices.Clone(prefix), sub.Name())
		out = append(out, p)
		out = append(out, commandPaths(sub, p)...)
	}
	return out
}

var secretFlags = func() []string {
	var out []string
	for _, in := range steps.Inputs {
		if in.Secret() {
			out = append(out, "--"+in.Flag())
		}
	}
	return out
}()

func TestHelpFitsAndShowsSecretFlagsOnlyWhereUsed(t *testing.T) {
	paths := append([][]string{{}, {"completion"}, {"completion", "bash"}, {"help"}},
		commandPaths(newCmdRoot(&App{}), nil)...)
	// Commands that send the secrets have their flags; no other has.
	usesSecrets := map[string]bool{"": true, "run": true, "reset": true, "doctor": true, "rotate": true}
	seen := map[string]bool{}
	for _, path := range paths {
		name := strings.Join(path, " ")
		if seen[name] {
			continue
		}
		seen[name] = true
		r := runCLI(t, nil, append(slices.Clone(path), "--help")...)
		if r.code != app.ExitOK {
			t.Errorf("%s --help: exit %d\n%s", name, r.code, r.stderr)
			continue
		}
		for i, line := range strings.Split(r.stdout, "\n") {
			if n := utf8.RuneCountInString(line); n > helpWidth {
				t.Errorf("%s --help, line %d is %d columns:\n%s", name, i+1, n, line)
			}
		}
		if strings.Contains(r.stdout, "`") || strings.Contains(r.stdout, "--config nexus-onboard") {
			t.Errorf("%s --help shows a garbled value name:\n%s", name, r.stdout)
		}
		if strings.Contains(r.stdout, "--config") && !strings.Contains(r.stdout, "--config FILE") {
			t.Errorf("%s --help: --config has no FILE value name:\n%s", name, r.stdout)
		}
		// A value is named for what it is (URL, FILE, STEPS), never by its
		// Go type.
		if m := regexp.MustCompile(`(?m)^\s+(-\w, )?--[\w-]+ (string|strings)\s`).FindString(r.stdout); m != "" {
			t.Errorf("%s --help names a value by its Go type: %q", name, strings.TrimSpace(m))
		}
		for _, f := range secretFlags {
			has := strings.Contains(r.stdout, f+" ")
			switch {
			case usesSecrets[name] && !has:
				t.Errorf("%s --help lacks %s", name, f)
			case !usesSecrets[name] && has:
				t.Errorf("%s --help lists %s, which it does not use", name, f)
			}
		}
		if usesSecrets[name] {
			flat := strings.Join(strings.Fields(r.stdout), " ")
			for _, in := range steps.Inputs {
				if in.Secret() && !strings.Contains(flat, "lands in shell history: prefer "+in.EnvVar()) {
					t.Errorf("%s --help: %s does not point to %s", name, "--"+in.Flag(), in.EnvVar())
				}
			}
		}
		if strings.Contains(r.stdout, "--gws-url") && !strings.Contains(r.stdout, "see nexus-onboard inputs") {
			t.Errorf("%s --help does not point to nexus-onboard inputs", name)
		}
	}
	for _, want := range []string{"run", "steps", "plan", "secrets list", "inputs", "version", "reset"} {
		if !seen[want] {
			t.Errorf("command %q not checked", want)
		}
	}
	r := runCLI(t, nil, "steps", "--help")
	if strings.Contains(strings.ToLower(r.stdout), "-password") {
		t.Errorf("steps --help lists a password flag:\n%s", r.stdout)
	}
	// The secret flags are not there at all, not just hidden.
	if r := runCLI(t, nil, "plan", "--tenant-password", "x"); r.code != app.ExitUsage || !strings.Contains(r.stderr, "unknown flag: --tenant-password") {
		t.Errorf("plan --tenant-password: exit %d\n%s", r.code, r.stderr)
	}
}

// `inputs` is the one list of every input: key, flag, environment
// variable, kind, default, secret or not, and help.
func TestInputsListsEveryInput(t *testing.T) {
	r := runCLI(t, nil, "inputs")
	if r.code != app.ExitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	flat := strings.Join(strings.Fields(r.stdout), " ")
	for _, in := range steps.Inputs {
		for _, want := range []string{in.Key + " " + in.Label + " (" + kindName(in), "flag --" + in.Flag(), "env " + in.EnvVar(), strings.Join(strings.Fields(in.Help), " ")} {
			if !strings.Contains(flat, want) {
				t.Errorf("inputs lacks %q", want)
			}
		}
		if in.Default != "" && !strings.Contains(flat, "default "+in.Default) {
			t.Errorf("inputs lacks the default of %s", in.Key)
		}
	}
	for _, want := range []string{"gws_admin_password GWS ops password (secret)", "--insecure-skip-verify or --insecure-skip-verify=false", "true/false or 1/0"} {
		if !strings.Contains(flat, want) {
			t.Errorf("inputs lacks %q", want)
		}
	}
	for i, line := range strings.Split(r.stdout, "\n") {
		if n := utf8.RuneCountInString(line); n > helpWidth {
			t.Errorf("inputs line %d is %d columns: %s", i+1, n, line)
		}
	}
	if h := runCLI(t, nil, "help", "inputs"); h.code != app.ExitOK || !strings.Contains(h.stdout, "nexus-onboard inputs") {
		t.Errorf("help inputs: exit %d\n%s", h.code, h.stdout)
	}
}

func TestVersionFallsBackOnBuildInfo(t *testing.T) {
	info := func(version string, settings ...string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/nexus-onboard/nexus-onboard", Version: version}}
			for i := 0; i+1 < len(settings); i += 2 {
				bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
			}
			return bi, true
		}
	}
	const rev, when = "0123456789abcdef0123456789abcdef01234567", "2026-01-02T03:04:05Z"
	cases := []struct {
		name                  string
		version, commit, date string
		read                  func() (*debug.BuildInfo, bool)
		want                  string
	}{
		{"linker set all", "1.2.0", "abc1234", "2026-01-01T00:00:00Z", info("v9.9.9", "vcs.revision", rev, "vcs.time", when),
			"nexus-onboard 1.2.0 (commit abc1234, built 2026-01-01T00:00:00Z)"},
		{"go install module@version", "dev", "none", "unknown", info("v1.3.0"),
			"nexus-onboard v1.3.0"},
		{"go build in a checkout", "dev", "none", "unknown", info("v0.0.0-20260102030405-0123456789ab", "vcs", "git", "vcs.revision", rev, "vcs.time", when, "vcs.modified", "false"),
			"nexus-onboard v0.0.0-20260102030405-0123456789ab (commit " + rev + ", built " + when + ")"},
		{"go run, modified tree", "dev", "none", "unknown", info("(devel)", "vcs.revision", rev, "vcs.time", when, "vcs.modified", "true"),
			"nexus-onboard dev (commit " + rev + "-dirty, built " + when + ")"},
		{"no build info", "dev", "none", "unknown", func() (*debug.BuildInfo, bool) { return nil, false },
			"nexus-onboard dev"},
		{"nothing at all", "", "", "", nil, "nexus-onboard dev"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, c, d := BuildVersion(tc.version, tc.commit, tc.date, tc.read)
			if got := versionLine(v, c, d); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			var out strings.Builder
			a := &App{Version: v, Commit: c, Date: d, Stdout: &out, Stderr: &out, Environ: []string{}}
			if code := a.Main([]string{"version"}); code != app.ExitOK || out.String() != tc.want+"\n" {
				t.Errorf("version: exit %d, %q", code, out.String())
			}
		})
	}
}

// A config file that cannot be read or is not YAML is the one problem
// reported, in every command that reads it: exit 2.
func TestConfigFileThatCannotBeUsedIsReportedAlone(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct{ path, want string }{
		"missing":      {filepath.Join(dir, "nope.yaml"), "cannot read"},
		"a directory":  {dir, "cannot read"},
		"not YAML":     {writeConfig(t, "gws_url: [https://gws\n  tenant_name: x: y\n", 0o600), "not valid YAML"},
		"not a map":    {writeConfig(t, "- gws_url\n- auth_url\n", 0o600), "must be a mapping"},
		"two docs":     {writeConfig(t, "gws_url: https://g\n---\nauth_url: https://a\n", 0o600), "more than one YAML document"},
		"binary bytes": {writeConfig(t, "\x00\x01\x02gws_url: \xff\n", 0o600), "config:"},
	}
	for name, tc := range cases {
		for _, cmd := range [][]string{{"run"}, {"plan"}, {"steps"}, {"reset", "--yes"}, {}} {
			args := append(slices.Clone(cmd), "--config", tc.path, "--state-dir", t.TempDir())
			r := runCLI(t, nil, args...)
			if r.code != app.ExitUsage || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "1 input problem:") || strings.Contains(r.stderr, "required") {
				t.Errorf("%s, %v: exit %d, want 2 with only %q\n%s", name, cmd, r.code, tc.want, r.stderr)
			}
		}
	}
	// A problem of one key is not a problem of the file: the rest is read
	// and reported together.
	cfg := writeConfig(t, "tenant_nmae: x\ngws_url: https://g\n", 0o600)
	r := runCLI(t, nil, "plan", "--config", cfg, "--state-dir", t.TempDir())
	if r.code != app.ExitUsage || !strings.Contains(r.stderr, "line 1: unknown key: did you mean tenant_name?") || !strings.Contains(r.stderr, "auth_url: required") {
		t.Errorf("unknown key: exit %d\n%s", r.code, r.stderr)
	}
}

func TestUnknownKeyDidYouMean(t *testing.T) {
	for key, want := range map[string]string{
		"tenant_nmae":        "did you mean tenant_name?",
		"tennant_name":       "did you mean tenant_name?",
		"tenant-name":        "did you mean tenant_name?",
		"GWS_URL":            "did you mean gws_url?",
		"gws_admin_pasword":  "did you mean gws_admin_password?",
		"insecure_skip_veri": "did you mean insecure_skip_verify?",
		"colour":             "",
		"tenant":             "",
	} {
		cfg := writeConfig(t, key+": x\n", 0o600)
		r := runCLI(t, nil, "plan", "--config", cfg, "--state-dir", t.TempDir())
		line := ""
		for _, l := range strings.Split(r.stderr, "\n") {
			if strings.Contains(l, "unknown key") {
				line = l
			}
		}
		switch {
		case line == "":
			t.Errorf("%s: not reported as unknown\n%s", key, r.stderr)
		case want != "" && !strings.Contains(line, want):
			t.Errorf("%s: %s, want %q", key, line, want)
		case want == "" && strings.Contains(line, "did you mean"):
			t.Errorf("%s: suggests a key: %s", key, line)
		}
	}
}

// The warning about a config file readable by group or others fires only
// when the file really holds a secret.
func TestReadableConfigWarnsOnlyWithSecrets(t *testing.T) {
	const warning = "readable by group or others"
	cases := []struct {
		name, body string
		mode       os.FileMode
		warn       bool
	}{
		{"0644 without secrets", planConfig, 0o644, false},
		{"0644 database URL without password", planConfig + "db_url: postgres://nexus@nexus-db:5432/nexus\n", 0o644, false},
		{"0644 empty secret", planConfig + "tenant_password:\n", 0o644, false},
		{"0644 with a password", planConfig + "tenant_password: s3cret\n", 0o644, true},
		{"0640 with an API key", planConfig + "ucs_api_key: k3y\n", 0o640, true},
		{"0644 database URL with password", planConfig + "db_url: postgres://nexus:pw@nexus-db:5432/nexus\n", 0o644, true},
		{"0600 with a password", planConfig + "gws_admin_password: s3cret\n", 0o600, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, tc.body, tc.mode)
			r := runCLI(t, nil, "steps", "--config", cfg, "--state-dir", t.TempDir())
			if r.code != app.ExitOK {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			if got := strings.Contains(r.stderr, warning); got != tc.warn {
				t.Errorf("warned %v, want %v\n%s", got, tc.warn, r.stderr)
			}
			if strings.Contains(r.stderr, "s3cret") || strings.Contains(r.stderr, "k3y") || strings.Contains(r.stderr, ":pw@") {
				t.Errorf("the warning quotes a secret:\n%s", r.stderr)
			}
		})
	}
}
