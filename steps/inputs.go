package steps

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
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
	KeyHTTPHosts     = "allow_http_hosts"
	KeySecretStore   = "secret_store"
	KeyKubeNamespace = "kube_namespace"
)

// Secret stores (secret_store).
const (
	StoreKeyring    = "keyring"
	StoreKubernetes = "kubernetes"
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
		Help: "Labs only: accept any certificate. Prefer an Extra CA file (ca_file)."},
	{Key: KeyAllowHTTP, Label: "Allow http on loopback", Group: GroupEndpoints, Kind: Bool, Default: "false", Advanced: true,
		Help: "Accept http:// URLs whose host is 127.0.0.1, ::1 or localhost (port-forwards, tests)."},
	{Key: KeyHTTPHosts, Label: "Hosts reached over http", Group: GroupEndpoints, Kind: Text, Example: ".svc.cluster.local", Advanced: true,
		Help: "Comma-separated hosts, or suffixes starting with a dot (.svc.cluster.local), that may be reached over plain http: cluster-internal service URLs when the tool runs inside the cluster. Never a default; every other URL stays https with certificate checks, and each run warns once."},
	{Key: KeySecretStore, Label: "Secret store", Group: GroupEndpoints, Kind: Text, Default: StoreKeyring, Example: StoreKubernetes, Advanced: true,
		Help: "Where the client secret, the API key, the state and the lock are kept: keyring (the OS keyring and a state directory) or kubernetes (a Secret, a ConfigMap and a Lease per contact center, in kube_namespace; for a Job in the cluster). Never chosen for you; read when the tool starts (config, environment or flag), not from the form."},
	{Key: KeyKubeNamespace, Label: "Kubernetes namespace", Group: GroupEndpoints, Kind: Text, Example: "nexus-onboard", Advanced: true,
		Help: "With secret_store: kubernetes, the namespace of its Secrets, ConfigMaps and Leases. Empty: the pod's namespace in the cluster, else the kubeconfig context's."},
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
	FromTenant  Source = "manifest tenant"
	FromFlag    Source = "flag"
	FromUser    Source = "form"
)

var rank = map[Source]int{FromDefault: 0, FromSaved: 1, FromConfig: 2, FromEnv: 3, FromTenant: 4, FromFlag: 5, FromUser: 6}

// Values holds the resolved inputs and where each came from.
type Values struct {
	v   map[string]string
	src map[string]Source
}

// NewValues returns an empty set of values.
func NewValues() Values { return Values{v: map[string]string{}, src: map[string]Source{}} }

// Get returns the value of key ("" when unset).
func (vs Values) Get(key string) string { return vs.v[key] }

// Bool reads a boolean input: true/false or 1/0 (as strconv.ParseBool
// reads them); anything else is false, and Validate names it.
func (vs Values) Bool(key string) bool { b, _ := strconv.ParseBool(vs.v[key]); return b }

// Source returns where key's value came from.
func (vs Values) Source(key string) Source { return vs.src[key] }

// Set stores a value when src ranks at least as high as the current one.
// A UUID (the contact center id) is stored in its canonical lower case,
// whatever the source: it names files, keyring accounts and request paths,
// and 578EC98E-… must not be another contact center than 578ec98e-….
func (vs Values) Set(key, val string, src Source) {
	if cur, ok := vs.src[key]; ok && rank[cur] > rank[src] {
		return
	}
	if in, ok := LookupInput(key); ok && in.Kind == UUID {
		val = canonicalUUID(val)
	}
	vs.v[key] = val
	vs.src[key] = src
}

// FillSaved adds a last run's saved values below every other source: a
// value from a flag, the environment or the config file is kept. Secrets are
// never taken from saved state (it holds none).
func (vs Values) FillSaved(saved map[string]string) {
	for k, v := range saved {
		if in, ok := LookupInput(k); ok && !in.Secret() && v != "" {
			vs.Set(k, v, FromSaved)
		}
	}
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
			if val = dsnWithoutPassword(val); val == "" {
				continue
			}
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
			out = append(out, dsnPasswords(val)...)
		}
	}
	return out
}

// dsnPasswordParams are the query parameters of a PostgreSQL URL that carry
// a password (libpq and pgx read both).
var dsnPasswordParams = []string{"password", "sslpassword"}

// dsnPasswords lists the passwords a PostgreSQL URL holds: in the user info
// and in the query (postgres://h/db?password=…). When parsers may split the
// URL differently (a reserved character left raw in the password:
// postgres://u:p@ss@h, which libpq and pgx read as password "p" and host
// "ss@h"), it also lists every fragment some parser could take for a
// password, a host or a port, so that even an error naming that "host"
// shows none of the password.
func dsnPasswords(dsn string) []string {
	var out []string
	if u, err := url.Parse(dsn); err == nil {
		if u.User != nil {
			if p, ok := u.User.Password(); ok && p != "" {
				out = append(out, p)
			}
		}
		q := u.Query()
		for _, k := range dsnPasswordParams {
			for _, p := range q[k] {
				if p != "" {
					out = append(out, p)
				}
			}
		}
	}
	if dsnAmbiguous(dsn) {
		out = append(out, dsnFragments(dsn)...)
	}
	return out
}

// dsnReserved are the characters that end or split the user info of a URL.
const dsnReserved = "@:/?#"

// dsnEncodeHint says how to write reserved characters in a URL's user info.
const dsnEncodeHint = "percent-encode them in the user name and password: @ as %40, : as %3A, / as %2F, # as %23, ? as %3F, % as %25"

// dsnRest is what follows "scheme://", and whether there is such a prefix.
func dsnRest(dsn string) (string, bool) {
	_, rest, ok := strings.Cut(dsn, "://")
	return rest, ok
}

// dsnRawUserinfoProblem reports whether the raw text of a URL leaves its
// user info ambiguous: an "@" or a second ":" inside it, or an "@" past the
// authority where only a "/", "?" or "#" left raw in the password puts one
// (in the path, in the fragment, or in a query that is not key=value pairs).
// It quotes nothing.
func dsnRawUserinfoProblem(dsn string) bool {
	rest, ok := dsnRest(dsn)
	if !ok {
		return false
	}
	authEnd := strings.IndexAny(rest, "/?#")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	if at := strings.LastIndex(rest[:authEnd], "@"); at >= 0 {
		ui := rest[:at]
		if strings.Contains(ui, "@") || strings.Count(ui, ":") > 1 {
			return true
		}
	}
	after := rest[authEnd:]
	if !strings.Contains(after, "@") {
		return false
	}
	path, query, hasQuery := strings.Cut(after, "?")
	if strings.ContainsAny(path, "@#") || strings.Contains(query, "#") {
		return true
	}
	if hasQuery && strings.Contains(query, "@") {
		for _, pair := range strings.Split(query, "&") {
			if strings.Count(pair, "=") != 1 || strings.Contains(pair, "/") {
				return true
			}
		}
	}
	return false
}

// dsnAmbiguous reports whether Go's URL parser and libpq's rules (which pgx
// follows: the user info ends at the first "@" before a "/") could read
// another user info out of the URL, or whether it holds an "@" and does
// not parse at all.
func dsnAmbiguous(dsn string) bool {
	rest, ok := dsnRest(dsn)
	if !ok || !strings.Contains(rest, "@") {
		return false
	}
	if dsnRawUserinfoProblem(dsn) {
		return true
	}
	if _, err := url.Parse(dsn); err != nil {
		return true
	}
	authEnd := strings.IndexAny(rest, "/?#")
	if authEnd < 0 {
		authEnd = len(rest)
	}
	goUI := ""
	if at := strings.LastIndex(rest[:authEnd], "@"); at >= 0 {
		goUI = rest[:at+1]
	}
	pgUI := ""
	if i := strings.IndexAny(rest, "@/"); i >= 0 && rest[i] == '@' {
		pgUI = rest[:i+1]
	}
	return goUI != pgUI
}

// dsnFragments lists what some parser could read as password text in a
// PostgreSQL URL: the raw user info after its first ":" (up to the last
// "@"), each piece of it between reserved characters, decoded too, and each
// "host" or "port" a parser that ends the user info at an earlier "@" would
// see (from that "@" to every later separator, up to the end of the
// authority).
func dsnFragments(dsn string) []string {
	rest, ok := dsnRest(dsn)
	if !ok {
		return nil
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return nil
	}
	colon := strings.Index(rest[:at], ":")
	if colon < 0 {
		return nil // a user name alone: not a secret
	}
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		out = append(out, s)
		if dec, err := url.PathUnescape(s); err == nil && dec != s {
			out = append(out, dec)
		}
	}
	pass := rest[colon+1 : at]
	add(pass)
	for _, f := range strings.FieldsFunc(pass, func(r rune) bool { return strings.ContainsRune(dsnReserved, r) }) {
		add(f)
	}
	for i := colon + 1; i < at; i++ {
		if rest[i] != '@' {
			continue
		}
		for j := i + 2; j <= len(rest); j++ {
			if j == len(rest) {
				add(rest[i+1:])
				break
			}
			if strings.IndexByte(":/?#,@", rest[j]) < 0 {
				continue
			}
			add(rest[i+1 : j])
			if j > at && strings.IndexByte("/?#", rest[j]) >= 0 {
				break // the end of the authority
			}
		}
	}
	return out
}

// dsnWithoutPassword is a PostgreSQL URL without its passwords, as it may
// be saved and shown; "" when the URL cannot be read unambiguously (where
// its password ends is then unknown, so nothing of it is kept).
func dsnWithoutPassword(dsn string) string {
	if dsnAmbiguous(dsn) {
		return ""
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.User(u.User.Username())
		}
	}
	q, changed := u.Query(), false
	for _, k := range dsnPasswordParams {
		if q.Has(k) {
			q.Del(k)
			changed = true
		}
	}
	if changed {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// validateDSN checks a PostgreSQL URL for its use: it must name exactly one
// host, user and password, the same for Go's URL parser and for pgx's
// (libpq's rules), which split a raw reserved character in the password
// differently. No message quotes any part of the value: where a password
// ends is the question, so a fragment of it may sit anywhere.
func validateDSN(val, example string) error {
	lower := strings.ToLower(val)
	if !strings.HasPrefix(lower, "postgres://") && !strings.HasPrefix(lower, "postgresql://") {
		return fmt.Errorf("must be a URL like %s", example)
	}
	if dsnAmbiguous(val) {
		return fmt.Errorf("does not name one host, user and password unambiguously: a character that ends or splits the user info of a URL (@ : / ? #, or a %% not followed by two hex digits) is left raw in the user name or password; %s", dsnEncodeHint)
	}
	u, err := url.Parse(val)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return fmt.Errorf("must be a URL like %s", example)
	}
	if !strings.HasPrefix(val, u.Scheme+"://") {
		// pgx reads only the lower-case scheme as a URL.
		return fmt.Errorf("must start with postgres:// or postgresql:// in lower case, like %s", example)
	}
	cfg, err := pgconn.ParseConfig(val)
	if err != nil {
		// pgx's message may quote the value: not here.
		return errors.New("PostgreSQL (pgx) cannot read it as a connection URL: check the host, port, database and query parameters")
	}
	differs := cfg.Host != u.Hostname() || u.Fragment != "" || strings.Contains(val, "#")
	for _, fb := range cfg.Fallbacks {
		// sslmode=prefer adds the same host without TLS; another host is
		// a second host.
		differs = differs || fb.Host != cfg.Host || fb.Port != cfg.Port
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		differs = differs || err != nil || n != int(cfg.Port)
	}
	if u.User != nil {
		if name := u.User.Username(); name != "" && name != cfg.User {
			differs = true
		}
		if pw, ok := u.User.Password(); ok && pw != "" && pw != cfg.Password {
			differs = true
		}
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" && db != cfg.Database {
		differs = true
	}
	if differs {
		return fmt.Errorf("names another host, port, user, password or database for PostgreSQL (pgx) than the URL shows (several hosts, a host=, port=, user= or dbname= query parameter, a #, or a reserved character left raw): give each once, in the URL itself; %s", dsnEncodeHint)
	}
	return nil
}

// canonicalUUID is a UUID in lower case; any other text is returned as
// given, for validation to name (Load trims space first).
func canonicalUUID(v string) string {
	if uuidRE.MatchString(v) {
		return strings.ToLower(v)
	}
	return v
}

// clientIDAllowed says what an Auth client id may hold.
const clientIDAllowed = `one token of letters, digits and punctuation such as nexus_client or nexus-client.2: no spaces, none of / \ ? # % :, and not "." or ".."`

// badClientID says why an Auth client id cannot be sent as exactly one
// URL path segment (/auth/v3/ops/clients/{id}) and one HTTP basic user
// name, or "" when it can.
func badClientID(id string) string {
	switch {
	case id == "":
		return "is empty"
	case id == "." || id == "..":
		return "is a relative path segment"
	case !utf8.ValidString(id):
		return "is not valid UTF-8"
	}
	for _, r := range id {
		switch {
		case unicode.IsSpace(r):
			return fmt.Sprintf("holds white space (%U)", r)
		case strings.ContainsRune(`/\?#%:`, r):
			return fmt.Sprintf("holds %q", r)
		case !unicode.IsGraphic(r):
			return fmt.Sprintf("holds an invisible or control character (%U)", r)
		}
	}
	return ""
}

// Sources gathers what Load reads.
type Sources struct {
	Flags      map[string]string // only flags the user set, by input key
	Environ    []string          // os.Environ()
	ConfigPath string            // "" for none
	Saved      map[string]string // last run's non-secret values
	// Config are values given as a config file gives them (a batch
	// manifest's defaults), secret references already resolved.
	Config map[string]string
	// Tenant are one batch tenant's own values: above the environment,
	// below flags (see Manifest).
	Tenant map[string]string
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
	vs.FillSaved(s.Saved)
	if s.ConfigPath != "" {
		cfg, w, ps := readConfig(s.ConfigPath, s.Environ)
		warnings = append(warnings, w...)
		problems = append(problems, ps...)
		for k, v := range cfg {
			vs.Set(k, v, FromConfig)
		}
	}
	for k, v := range s.Config {
		vs.Set(k, v, FromConfig)
	}
	for _, kv := range s.Environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, EnvPrefix) {
			continue
		}
		key := strings.ToLower(strings.TrimPrefix(k, EnvPrefix))
		// An empty variable counts as unset, as in most tools: a CI template
		// that expands to NEXUS_ONBOARD_CC_ID= must not wipe the config file.
		if _, known := LookupInput(key); known && v != "" {
			vs.Set(key, v, FromEnv)
		}
	}
	for k, v := range s.Tenant {
		vs.Set(k, v, FromTenant)
	}
	for k, v := range s.Flags {
		vs.Set(k, v, FromFlag)
	}
	for _, in := range Inputs {
		if in.Kind == URL {
			vs.v[in.Key] = trimURL(vs.v[in.Key])
		} else if !in.Secret() {
			vs.v[in.Key] = strings.TrimSpace(vs.v[in.Key])
		}
		if in.Kind == UUID {
			vs.v[in.Key] = canonicalUUID(vs.v[in.Key])
		}
		// 1, TRUE… are shown and saved as true; a value that is not a
		// boolean is kept for Validate to name.
		if b, err := strconv.ParseBool(vs.v[in.Key]); in.Kind == Bool && err == nil {
			vs.v[in.Key] = strconv.FormatBool(b)
		}
	}
	return vs, warnings, problems
}

// trimURL drops surrounding space and trailing slashes ("https://h/ /"
// too), so that API paths can be appended, and so that trimming again
// changes nothing.
func trimURL(v string) string {
	return strings.TrimRightFunc(strings.TrimSpace(v), func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
}

// readConfig parses a YAML config file of input keys, its secret
// references (<key>_env, <key>_file) resolved against environ. The map is
// nil when the file cannot be used at all (unreadable, not one YAML mapping).
func readConfig(path string, environ []string) (map[string]string, []string, Problems) {
	data, err := readCapped(path, maxConfigSize)
	if err != nil {
		return nil, nil, Problems{{Key: "config", Msg: fmt.Sprintf("cannot read %s: %v", path, unwrapPathError(err))}}
	}
	cfg, refs, problems := parseConfigRefs(data)
	var warnings []string
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		// Before the references are resolved: only a secret written in the
		// file itself counts.
		if k := clearSecret(cfg); k != "" {
			warnings = append(warnings, fmt.Sprintf("%s holds secrets (%s) but is readable by group or others (mode %04o): run chmod 600 %s, or give it as %s_env or %s_file", path, k, fi.Mode().Perm(), path, k, k))
		}
	}
	if cfg != nil {
		problems = append(problems, resolveRefs(cfg, refs, environ)...)
	}
	for i := range problems {
		problems[i].Msg = path + ": " + problems[i].Msg
	}
	return cfg, warnings, problems
}

// ConfigFileProblems reports why the config file at path cannot be used at
// all: it cannot be read, or it is not one YAML mapping. Any other input
// would then be reported missing only because of it, so callers report
// these alone. Problems of single keys are not among them (Load reports
// those with the rest).
func ConfigFileProblems(path string) Problems {
	if cfg, _, problems := readConfig(path, nil); cfg == nil {
		return problems
	}
	return nil
}

// maxConfigSize bounds the config file read: a few hundred bytes are
// normal, and --config /dev/zero must not eat the memory.
const maxConfigSize = 1 << 20

// readCapped reads a file of at most limit bytes.
func readCapped(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %d KiB: is this the config file?", limit>>10)
	}
	return data, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// ParseConfig reads YAML config text: one mapping of input keys to scalars.
// Unknown, repeated or null keys and nested values are problems, named by
// key; scalars keep their text as written (0x1F stays "0x1F"). A problem
// never quotes a value: the file holds passwords. References to secrets
// (<key>_env, <key>_file: see SecretRef) are accepted and left out of the
// map; readConfig resolves them.
func ParseConfig(data []byte) (map[string]string, Problems) {
	out, _, problems := parseConfigRefs(data)
	return out, problems
}

// parseConfigRefs is ParseConfig with the secret references it read.
func parseConfigRefs(data []byte) (map[string]string, map[string]string, Problems) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return map[string]string{}, nil, nil // an empty file sets nothing
		}
		return nil, nil, Problems{{Key: "config", Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	// A second document would be ignored by a plain decode: its keys would
	// silently not apply.
	for {
		var more yaml.Node
		err := dec.Decode(&more)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || !isNullDoc(&more) {
			return nil, nil, Problems{{Key: "config", Msg: "holds more than one YAML document (a second --- line): keep a single mapping of key: value lines"}}
		}
	}
	if isNullDoc(&doc) {
		return map[string]string{}, nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, nil, Problems{{Key: "config", Msg: fmt.Sprintf("line %d: must be a mapping of key: value lines (such as gws_url: https://gws.example.com), not %s", root.Line, nodeKind(root))}}
	}
	return parseMapping(root)
}

// parseMapping reads one YAML mapping of input keys to scalars (a config
// file, or a manifest's defaults or tenant): the values, the secret
// references (<key>_env, <key>_file, by their own key) and the problems.
func parseMapping(root *yaml.Node) (map[string]string, map[string]string, Problems) {
	out, refs := map[string]string{}, map[string]string{}
	var problems Problems
	firstLine := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		knode, vnode := root.Content[i], root.Content[i+1]
		if knode.Kind != yaml.ScalarNode {
			problems = append(problems, Problem{Key: "config", Msg: fmt.Sprintf("line %d: a key must be a plain name such as gws_url, not %s", knode.Line, nodeKind(knode))})
			continue
		}
		k := knode.Value
		_, isRef := SecretRef(k)
		if _, ok := LookupInput(k); !ok && !isRef {
			problems = append(problems, Problem{Key: shownKey(k), Msg: fmt.Sprintf("line %d: unknown key%s (known: %s)", knode.Line, didYouMean(k), strings.Join(InputKeys(), ", "))})
			continue
		}
		if first, dup := firstLine[k]; dup {
			problems = append(problems, Problem{Key: k, Msg: fmt.Sprintf("set twice (lines %d and %d): keep one", first, knode.Line)})
			continue
		}
		firstLine[k] = knode.Line
		if vnode.Kind == yaml.AliasNode && vnode.Alias != nil {
			vnode = vnode.Alias // *anchor of a single value is a single value
		}
		if vnode.Kind != yaml.ScalarNode {
			problems = append(problems, Problem{Key: k, Msg: fmt.Sprintf("line %d: must be a single value, not %s", vnode.Line, nodeKind(vnode))})
			continue
		}
		if vnode.Tag == "!!null" {
			continue // "key:" or "key: ~" leaves it unset
		}
		var v string
		if err := vnode.Decode(&v); err != nil {
			// The decoder's message quotes the value: not here.
			problems = append(problems, Problem{Key: k, Msg: fmt.Sprintf("line %d: the value cannot be read as text (%s): quote it", vnode.Line, vnode.Tag)})
			continue
		}
		if isRef {
			refs[k] = v
		} else {
			out[k] = v
		}
	}
	// A key with a problem is not half-read: its first value goes too.
	for _, p := range problems {
		delete(out, p.Key)
		delete(refs, p.Key)
	}
	return out, refs, problems
}

// isNullDoc reports whether a decoded YAML document holds nothing ("---"
// alone, or only comments).
func isNullDoc(doc *yaml.Node) bool {
	if doc.Kind == 0 {
		return true
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return false
	}
	n := doc.Content[0]
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a single value"
}

// shownKey names an unknown key so that it can be seen: an empty, null or
// unprintable key is quoted, a huge one cut.
func shownKey(k string) string {
	if k != "" && len(k) <= 80 && strings.IndexFunc(k, func(r rune) bool { return !unicode.IsGraphic(r) || r == ' ' }) < 0 && utf8.ValidString(k) {
		return k
	}
	return strconv.QuoteToGraphic(clip(k))
}

// didYouMean suggests the known key a misspelt one most likely means
// (gws-url, GWS_URL → gws_url; tenant_nmae, tennant_name → tenant_name):
// the same key written another way, else the closest keys at most two
// edits away (a swap of two neighbouring letters is one edit).
func didYouMean(k string) string {
	norm := strings.ToLower(strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(strings.TrimSpace(k)))
	if _, ok := LookupInput(norm); ok {
		if norm != k {
			return ": did you mean " + norm + "?"
		}
		return ""
	}
	if utf8.RuneCountInString(norm) < 4 || len(norm) > 80 {
		return "" // too short to tell a typo from another word
	}
	var best []string
	bestD := 3
	for _, in := range Inputs {
		switch d := editDistance(norm, in.Key); {
		case d < bestD:
			best, bestD = []string{in.Key}, d
		case d == bestD:
			best = append(best, in.Key)
		}
	}
	if len(best) > 0 {
		return ": did you mean " + strings.Join(best, " or ") + "?"
	}
	return ""
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and swaps of neighbouring runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
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
	return fmt.Sprintf("%s:\n%s", Plural(len(ps), "input problem"), strings.Join(lines, "\n"))
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// basicAuthNames are the inputs sent as the user name of HTTP basic
// authentication, where a ":" would end the name early.
var basicAuthNames = map[string]bool{KeyAdminUser: true, KeyClientID: true}

// ValidateValue checks one value of an input. allowHTTP permits http:// for
// loopback hosts. The message never contains a secret value.
func ValidateValue(in Input, val string, allowHTTP bool) error {
	return ValidateValueWith(in, val, HTTPPolicy{Loopback: allowHTTP})
}

// kubeNameRE is a Kubernetes namespace name (an RFC 1123 label).
var kubeNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

// HTTPPolicy says which http:// URLs are accepted: loopback ones with
// allow_http_loopback, and those whose host allow_http_hosts lists.
type HTTPPolicy struct {
	Loopback bool
	Hosts    []string // exact hosts, or suffixes starting with "."
}

// HTTPPolicyOf is the policy the values set.
func HTTPPolicyOf(vs Values) HTTPPolicy {
	return HTTPPolicy{Loopback: vs.Bool(KeyAllowHTTP), Hosts: SplitHosts(vs.Get(KeyHTTPHosts))}
}

// SplitHosts reads allow_http_hosts: comma-separated, spaces ignored,
// lower-cased.
func SplitHosts(v string) []string {
	var out []string
	for _, h := range strings.Split(v, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// listed reports whether host may be reached over http by its host list.
func (p HTTPPolicy) listed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range p.Hosts {
		if host == h || (strings.HasPrefix(h, ".") && strings.HasSuffix(host, h)) {
			return true
		}
	}
	return false
}

// badHostEntry says why an allow_http_hosts entry is not a host or a
// ".suffix", or "".
func badHostEntry(h string) string {
	name := strings.TrimPrefix(h, ".")
	switch {
	case name == "" || strings.Contains(name, "*"):
		return "is empty or a wildcard: name hosts, or suffixes like .svc.cluster.local"
	case strings.Contains(h, "://") || strings.ContainsAny(h, "/:@ ?#"):
		return "is not a host name: give the host only, without scheme, port or path"
	case strings.Count(name, ".") == 0 && strings.HasPrefix(h, "."):
		return "is a top-level suffix, which would open http to a whole domain tree: give at least two labels (.svc.cluster.local)"
	}
	return ""
}

// ValidateValueWith checks one value with the http policy p.
func ValidateValueWith(in Input, val string, p HTTPPolicy) error {
	if val == "" {
		return nil
	}
	// JSON bodies would carry U+FFFD instead of the bytes given, and
	// PostgreSQL refuses them: the value would not arrive as typed.
	if !utf8.ValidString(val) {
		return errors.New("is not valid UTF-8 text: check the encoding of the file or terminal it came from")
	}
	switch in.Kind {
	case URL:
		return validateURL(val, p)
	case UUID:
		if !uuidRE.MatchString(val) {
			return fmt.Errorf("must be a UUID like %s (got %q)", in.Example, clip(val))
		}
	case Bool:
		if _, err := strconv.ParseBool(val); err != nil {
			return fmt.Errorf("must be true or false (or 1 or 0) (got %q)", clip(val))
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
		return validateDSN(val, in.Example)
	case Text:
		if strings.ContainsAny(val, "\r\n") {
			return fmt.Errorf("must be a single line")
		}
		if i := strings.IndexFunc(val, unicode.IsControl); i >= 0 {
			r, _ := utf8.DecodeRuneInString(val[i:])
			return fmt.Errorf("must not contain control characters (found %U at byte %d)", r, i)
		}
		if basicAuthNames[in.Key] && strings.Contains(val, ":") {
			return errors.New(`must not contain ":": it is sent as an HTTP basic user name, which ends at the first ":"`)
		}
		if in.Key == KeyTenantUser && strings.Contains(val, `\`) {
			return errors.New(`must not contain "\": Auth receives <cc_id>\<tenant_user> and splits it at the one backslash`)
		}
		if in.Key == KeySecretStore && val != StoreKeyring && val != StoreKubernetes {
			return fmt.Errorf("must be %s or %s (got %q)", StoreKeyring, StoreKubernetes, clip(val))
		}
		if in.Key == KeyKubeNamespace && !kubeNameRE.MatchString(val) {
			return fmt.Errorf("must be a Kubernetes namespace name: lower-case letters, digits and -, at most 63 (got %q)", clip(val))
		}
		if in.Key == KeyHTTPHosts {
			for _, h := range SplitHosts(val) {
				if why := badHostEntry(h); why != "" {
					return fmt.Errorf("entry %q %s", clip(h), why)
				}
			}
		}
		if in.Key == KeyClientID {
			if why := badClientID(val); why != "" {
				return fmt.Errorf("%s: it is sent as one URL path segment and an HTTP basic user name, so it must be %s", why, clientIDAllowed)
			}
		}
	}
	return nil
}

func validateURL(val string, p HTTPPolicy) error {
	u, err := url.Parse(val)
	if err != nil || u.Host == "" || !u.IsAbs() {
		return fmt.Errorf("must be an absolute URL like https://host.example.com (got %q)", shownURL(val))
	}
	if u.User != nil {
		return fmt.Errorf("must not carry credentials in the URL")
	}
	// An empty "?" or "#" counts too: the tool appends paths to this URL,
	// and they would land in the query or the fragment.
	if strings.ContainsAny(val, "?#") {
		return fmt.Errorf("must not have a query or fragment (got %q): give the base URL only", shownURL(val))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s is out of range: use 1-65535 (got %q)", p, shownURL(val))
		}
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if p.listed(u.Hostname()) {
			return nil // allow_http_hosts: explicit, and warned once per run
		}
		if !isLoopback(u.Hostname()) {
			return fmt.Errorf("must use https (got %q): credentials would cross the network in clear; inside the cluster, list the host in %s", shownURL(val), KeyHTTPHosts)
		}
		if !p.Loopback {
			return fmt.Errorf("must use https (got %q); for a loopback port-forward set %s=true", shownURL(val), KeyAllowHTTP)
		}
		return nil
	}
	return fmt.Errorf("must use https (got scheme %q)", clip(u.Scheme))
}

// shownURL is a URL as a message may quote it. Users paste URLs with a
// password or a token in them, so whatever could be user info (up to the
// last "@") and the query and fragment are masked, even when the URL does
// not parse.
func shownURL(val string) string {
	s := val
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + redact.Mask
	}
	prefix, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = redact.Mask + rest[at:]
	}
	return clip(prefix + rest)
}

func isLoopback(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
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
	policy := HTTPPolicyOf(vs)
	for _, in := range Inputs {
		val := vs.Get(in.Key)
		if val == "" {
			if req[in.Key] {
				problems = append(problems, Problem{Key: in.Key, Msg: fmt.Sprintf("required by the selected steps: set it in the config file, with --%s or %s", in.Flag(), in.EnvVar())})
			}
			continue
		}
		if err := ValidateValueWith(in, val, policy); err != nil {
			problems = append(problems, Problem{Key: in.Key, Msg: err.Error()})
		}
	}
	return problems
}
