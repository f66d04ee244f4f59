package steps

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Kind says how an input is parsed, validated and shown.
type Kind int

// Input kinds.
const (
	Text   Kind = iota
	URL         // absolute https URL
	UUID        // a contact center id
	Bool        // true/false
	Path        // a local file
	DSN         // a PostgreSQL connection URL; its password is a secret
	Secret      // a password or key
)

// Input describes one prerequisite variable. This single description drives
// the form fields, the flags, the NEXUS_ONBOARD_* environment variables, the
// config file keys and the validation messages.
type Input struct {
	Key      string // config file key; flag --key-with-dashes; env NEXUS_ONBOARD_KEY
	Label    string
	Help     string
	Example  string
	Group    string
	Kind     Kind
	Default  string
	Advanced bool // not asked in the wizard's main pages
}

// Secret reports whether the value must never be shown or stored by the tool.
// A DSN is not secret as a whole, but its password is (see redact.URL).
func (in Input) Secret() bool { return in.Kind == Secret }

// EnvVar is the environment variable for the input.
func (in Input) EnvVar() string { return EnvPrefix + strings.ToUpper(in.Key) }

// Flag is the command-line flag name for the input (without dashes).
func (in Input) Flag() string { return strings.ReplaceAll(in.Key, "_", "-") }

// EnvPrefix starts every environment variable the tool reads.
const EnvPrefix = "NEXUS_ONBOARD_"

// Form groups, in the order the wizard shows them.
const (
	GroupEndpoints   = "Endpoints"
	GroupCredentials = "Credentials"
	GroupTenant      = "Tenant"
	GroupDatabase    = "Database & UCS"
)

// Input keys. They are a public contract (config files, env vars, flags).
const (
	KeyGWSURL        = "gws_url"
	KeyAuthURL       = "auth_url"
	KeyNexusURL      = "nexus_url"
	KeyUCSURL        = "ucs_url"
	KeyAdminUser     = "gws_admin_user"
	KeyAdminPassword = "gws_admin_password"
	KeyTenantUser    = "tenant_user"
	KeyTenantPass    = "tenant_password"
	KeyCCID          = "cc_id"
	KeyTenantName    = "tenant_name"
	KeyDBURL         = "db_url"
	KeyUCSAPIKey     = "ucs_api_key"
	KeyClientID      = "client_id"
	KeyCAFile        = "ca_file"
	KeyInsecure      = "insecure_skip_verify"
	KeyAllowHTTP     = "allow_http_loopback"
)

// Inputs is the schema of every input, in the order forms and help show them.
var Inputs = []Input{
	{Key: KeyGWSURL, Label: "GWS URL", Group: GroupEndpoints, Kind: URL, Example: "https://gws.mydomain.com",
		Help: "Web Services and Applications load balancer. Stored in nex_gapis and sent as the tenant's backendurl."},
	{Key: KeyAuthURL, Label: "Auth URL", Group: GroupEndpoints, Kind: URL, Example: "https://auth.mydomain.com",
		Help: "Auth Services load balancer: hosts /auth/v3 and /environment/v3."},
	{Key: KeyNexusURL, Label: "Digital Channels URL", Group: GroupEndpoints, Kind: URL, Example: "https://nexus.mydomain.com",
		Help: "Digital Channels (Nexus) FQDN. Also the client's redirect URI and the chat-service-uri setting."},
	{Key: KeyCAFile, Label: "Extra CA file", Group: GroupEndpoints, Kind: Path, Example: "/etc/ssl/private-ca.pem", Advanced: true,
		Help: "PEM file with the CA that signed the cluster's certificates, if not in the system store."},
	{Key: KeyInsecure, Label: "Skip TLS verification", Group: GroupEndpoints, Kind: Bool, Default: "false", Advanced: true,
		Help: "Labs only: accept any certificate. Prefer ca_file."},
	{Key: KeyAllowHTTP, Label: "Allow http on loopback", Group: GroupEndpoints, Kind: Bool, Default: "false", Advanced: true,
		Help: "Accept http:// URLs whose host is 127.0.0.1, ::1 or localhost (port-forwards, tests)."},
	{Key: KeyAdminUser, Label: "GWS ops user", Group: GroupCredentials, Kind: Text, Example: "ops",
		Help: "GWS ops credentials (HTTP basic) used for clients, contact centers and settings."},
	{Key: KeyAdminPassword, Label: "GWS ops password", Group: GroupCredentials, Kind: Secret,
		Help: "Password of the ops user. Never stored by the tool."},
	{Key: KeyTenantUser, Label: "Tenant user", Group: GroupCredentials, Kind: Text, Example: "nexus",
		Help: "A Person of the tenant; logs in as <cc_id>\\<tenant_user>."},
	{Key: KeyTenantPass, Label: "Tenant user password", Group: GroupCredentials, Kind: Secret,
		Help: "The Person's password. Sent to Auth and, as the tenant token, to Digital Channels."},
	{Key: KeyCCID, Label: "Contact center ID", Group: GroupTenant, Kind: UUID, Example: "578ec98e-f07c-46ad-9675-f36c22f3ba9f",
		Help: "UUID of the contact center in GWS. Leave empty to discover it (step contact-center)."},
	{Key: KeyTenantName, Label: "Tenant name", Group: GroupTenant, Kind: Text, Example: "premise_tenant",
		Help: "The tenant name used when Nexus UX was enabled."},
	{Key: KeyClientID, Label: "Auth client id", Group: GroupTenant, Kind: Text, Default: "nexus_client", Advanced: true,
		Help: "Id of the Auth client created for Digital Channels."},
	{Key: KeyDBURL, Label: "Nexus database URL", Group: GroupDatabase, Kind: DSN, Example: "postgres://nexus:…@nexus-db:5432/nexus",
		Help: "PostgreSQL URL of the Digital Channels database. Empty: register-gws prints the SQL for you to run."},
	{Key: KeyUCSURL, Label: "UCS URL", Group: GroupDatabase, Kind: URL, Example: "https://ucs.mydomain.com",
		Help: "Universal Contact Service entry point. Empty: the ucs-service step is skipped."},
	{Key: KeyUCSAPIKey, Label: "UCS provisioning API key", Group: GroupDatabase, Kind: Secret,
		Help: "Nexus API key accepted by the provisioning services endpoint (needed with ucs_url)."},
}

// LookupInput finds an input by key.
func LookupInput(key string) (Input, bool) {
	for _, in := range Inputs {
		if in.Key == key {
			return in, true
		}
	}
	return Input{}, false
}

// Source says where a value came from, in increasing precedence.
type Source string

// Sources of values.
const (
	FromDefault Source = "default"
	FromSaved   Source = "last run"
	FromConfig  Source = "config file"
	FromEnv     Source = "environment"
	FromFlag    Source = "flag"
	FromUser    Source = "form"
)

var rank = map[Source]int{FromDefault: 0, FromSaved: 1, FromConfig: 2, FromEnv: 3, FromFlag: 4, FromUser: 5}

// Values holds the resolved inputs and where each came from.
type Values struct {
	v   map[string]string
	src map[string]Source
}

// NewValues returns an empty set of values.
func NewValues() Values { return Values{v: map[string]string{}, src: map[string]Source{}} }

// Get returns the value of key ("" when unset).
func (vs Values) Get(key string) string { return vs.v[key] }

// Bool reads a boolean input.
func (vs Values) Bool(key string) bool { b, _ := strconv.ParseBool(vs.v[key]); return b }

// Source returns where key's value came from.
func (vs Values) Source(key string) Source { return vs.src[key] }

// Set stores a value when src ranks at least as high as the current one.
func (vs Values) Set(key, val string, src Source) {
	if cur, ok := vs.src[key]; ok && rank[cur] > rank[src] {
		return
	}
	vs.v[key] = val
	vs.src[key] = src
}

// Clone copies the values.
func (vs Values) Clone() Values {
	out := NewValues()
	for k, v := range vs.v {
		out.v[k] = v
		out.src[k] = vs.src[k]
	}
	return out
}

// NonSecret returns the values that may be saved and shown: secrets dropped,
// the password of db_url masked out.
func (vs Values) NonSecret() map[string]string {
	out := map[string]string{}
	for _, in := range Inputs {
		val := vs.v[in.Key]
		if val == "" || in.Secret() {
			continue
		}
		if in.Kind == DSN {
			val = dsnWithoutPassword(val)
		}
		out[in.Key] = val
	}
	return out
}

// SecretValues lists every secret value among the inputs, for the redactor.
func (vs Values) SecretValues() []string {
	var out []string
	for _, in := range Inputs {
		val := vs.v[in.Key]
		if val == "" {
			continue
		}
		switch {
		case in.Secret():
			out = append(out, val)
		case in.Kind == DSN:
			if u, err := url.Parse(val); err == nil && u.User != nil {
				if p, ok := u.User.Password(); ok && p != "" {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

func dsnWithoutPassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.User(u.User.Username())
	}
	return u.String()
}

// Sources gathers what Load reads.
type Sources struct {
	Flags      map[string]string // only flags the user set, by input key
	Environ    []string          // os.Environ()
	ConfigPath string            // "" for none
	Saved      map[string]string // last run's non-secret values
}

// Load resolves every input: flag > env > config file > last run > default.
// Problems with the config file itself are returned as Problems; warnings
// (such as a config file with secrets readable by others) are returned apart.
func Load(s Sources) (Values, []string, Problems) {
	vs := NewValues()
	var warnings []string
	var problems Problems
	for _, in := range Inputs {
		if in.Default != "" {
			vs.Set(in.Key, in.Default, FromDefault)
		}
	}
	for k, v := range s.Saved {
		if in, ok := LookupInput(k); ok && !in.Secret() && v != "" {
			vs.Set(k, v, FromSaved)
		}
	}
	if s.ConfigPath != "" {
		cfg, w, ps := readConfig(s.ConfigPath)
		warnings = append(warnings, w...)
		problems = append(problems, ps...)
		for k, v := range cfg {
			vs.Set(k, v, FromConfig)
		}
	}
	for _, kv := range s.Environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(k, EnvPrefix))
		if _, known := LookupInput(key); known {
			vs.Set(key, v, FromEnv)
		}
	}
	for k, v := range s.Flags {
		vs.Set(k, v, FromFlag)
	}
	for _, in := range Inputs {
		if in.Kind == URL {
			vs.v[in.Key] = strings.TrimRight(strings.TrimSpace(vs.v[in.Key]), "/")
		} else if !in.Secret() {
			vs.v[in.Key] = strings.TrimSpace(vs.v[in.Key])
		}
	}
	return vs, warnings, problems
}

// readConfig parses a YAML config file of input keys.
func readConfig(path string) (map[string]string, []string, Problems) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, Problems{{Key: "config", Msg: fmt.Sprintf("cannot read %s: %v", path, unwrapPathError(err))}}
	}
	cfg, problems := ParseConfig(data)
	for i := range problems {
		problems[i].Msg = path + ": " + problems[i].Msg
	}
	var warnings []string
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		for k, v := range cfg {
			if in, _ := LookupInput(k); v != "" && (in.Secret() || (in.Kind == DSN && strings.Contains(v, ":") && strings.Contains(v, "@"))) {
				warnings = append(warnings, fmt.Sprintf("%s holds secrets (%s) but is readable by group or others (mode %04o): run chmod 600 %s", path, k, fi.Mode().Perm(), path))
				break
			}
		}
	}
	return cfg, warnings, problems
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// ParseConfig reads YAML config text: a flat mapping of input keys to
// scalars. Unknown keys and nested values are problems, named by key.
func ParseConfig(data []byte) (map[string]string, Problems) {
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, Problems{{Key: "config", Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	out := map[string]string{}
	var problems Problems
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		node := raw[k]
		if _, ok := LookupInput(k); !ok {
			problems = append(problems, Problem{Key: k, Msg: "unknown key (known: " + strings.Join(InputKeys(), ", ") + ")"})
			continue
		}
		if node.Kind != yaml.ScalarNode {
			problems = append(problems, Problem{Key: k, Msg: "must be a single value, not a list or mapping"})
			continue
		}
		if node.Tag == "!!null" {
			continue
		}
		out[k] = node.Value
	}
	return out, problems
}

// InputKeys lists every input key in schema order.
func InputKeys() []string {
	keys := make([]string, len(Inputs))
	for i, in := range Inputs {
		keys[i] = in.Key
	}
	return keys
}

// Problem is one invalid or missing input.
type Problem struct {
	Key string
	Msg string
}

func (p Problem) Error() string { return p.Key + ": " + p.Msg }

// Problems is every problem found, reported together.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = "  - " + p.Error()
	}
	return fmt.Sprintf("%d input problem(s):\n%s", len(ps), strings.Join(lines, "\n"))
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidateValue checks one value of an input. allowHTTP permits http:// for
// loopback hosts. The message never contains a secret value.
func ValidateValue(in Input, val string, allowHTTP bool) error {
	if val == "" {
		return nil
	}
	switch in.Kind {
	case URL:
		return validateURL(val, allowHTTP)
	case UUID:
		if !uuidRE.MatchString(val) {
			return fmt.Errorf("must be a UUID like %s (got %q)", in.Example, clip(val))
		}
	case Bool:
		if _, err := strconv.ParseBool(val); err != nil {
			return fmt.Errorf("must be true or false (got %q)", clip(val))
		}
	case Path:
		fi, err := os.Stat(val)
		if err != nil {
			return fmt.Errorf("cannot read %s: %v", val, unwrapPathError(err))
		}
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory, not a PEM file", val)
		}
	case DSN:
		u, err := url.Parse(val)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return fmt.Errorf("must be a URL like %s", in.Example)
		}
	case Text:
		if strings.ContainsAny(val, "\r\n") {
			return fmt.Errorf("must be a single line")
		}
	}
	return nil
}

func validateURL(val string, allowHTTP bool) error {
	u, err := url.Parse(val)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return fmt.Errorf("must be an absolute URL like https://host.example.com (got %q)", clip(val))
	}
	if u.User != nil {
		return fmt.Errorf("must not carry credentials in the URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("must not have a query or fragment (got %q)", clip(val))
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("must use https (got %q): credentials would cross the network in clear", clip(val))
		}
		if !allowHTTP {
			return fmt.Errorf("must use https (got %q); for a loopback port-forward set %s=true", clip(val), KeyAllowHTTP)
		}
		return nil
	}
	return fmt.Errorf("must use https (got scheme %q)", u.Scheme)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// Validate checks every value and that the required keys are present. All
// problems are returned at once, in schema order.
func Validate(vs Values, required []string) Problems {
	var problems Problems
	req := map[string]bool{}
	for _, k := range required {
		req[k] = true
	}
	allowHTTP := vs.Bool(KeyAllowHTTP)
	for _, in := range Inputs {
		val := vs.Get(in.Key)
		if val == "" {
			if req[in.Key] {
				problems = append(problems, Problem{Key: in.Key, Msg: fmt.Sprintf("required by the selected steps: set it in the config file, with --%s or %s", in.Flag(), in.EnvVar())})
			}
			continue
		}
		if err := ValidateValue(in, val, allowHTTP); err != nil {
			problems = append(problems, Problem{Key: in.Key, Msg: err.Error()})
		}
	}
	return problems
}
