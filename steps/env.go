// Package steps is the onboarding procedure as data: the input schema, the
// nine steps (each an id, a title, the inputs it needs, the outputs it makes,
// a check for "already done", an action and a plan), the runner that walks
// them, and the state kept between runs. It knows nothing of screens: the
// headless `run` and the wizard drive the same Runner.
package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/nexus"
	"github.com/nexus-onboard/nexus-onboard/clients/nexusdb"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// Keyring is the part of the OS keyring the steps use.
type Keyring interface {
	Get(ctx context.Context, account string) (string, error)
	Set(ctx context.Context, account, value string) error
	Delete(ctx context.Context, account string) error
	Probe(ctx context.Context) error
}

// Options change how steps act; none of them is an input value.
type Options struct {
	RotateSecret bool          // auth-client: replace the secret of an existing client
	Reveal       bool          // show the Nexus API key in designer-env output
	HTTP         httpx.Options // transport tuning; CA, TLS and redactor are filled from inputs
	Keyring      Keyring       // nil: the OS keyring
	// ContactCenters, when set, answers for the GET of the contact centers
	// (Env.ContactCenters): a batch reads the list once for every tenant
	// of an environment.
	ContactCenters func(ctx context.Context, e *Env) ([]gws.ContactCenter, error)
	Warn           func(string) // where warnings go (nil: dropped)
	// Invocation is how the user started the tool: the commands it
	// suggests repeat its config file and state dir, so they run as printed.
	Invocation Invocation
}

// Env is what a step sees: the inputs, the clients, and the outputs of the
// steps before it in this run. Secret outputs live here, in memory only.
type Env struct {
	In       Values
	Opts     Options
	Redactor *redact.Redactor
	HTTP     *httpx.Client
	Auth     *gws.Client
	Nexus    *nexus.Client
	Keyring  Keyring

	mu  sync.Mutex
	mem map[string]string
	db  *nexusdb.DB
	// saved says where the secrets the state knows of came from; stored
	// lists the secrets this run put in the keyring (see Origin).
	saved, stored map[string]SecretOrigin
	legacyState   bool // the state predates origin records
	savedInputs   map[string]string
	savedSteps    map[string]Status
	warned        map[string]bool
	accepted      map[string]bool // client id + secret Auth issued a token for, this run
}

// clientAccepts asks Auth for a client_credentials token: nil when Auth
// accepts the secret. A yes is remembered for the run (preflight, the
// auth-client check and the move of an old entry ask the same question);
// verify-client, whose job it is, always asks.
func (e *Env) clientAccepts(ctx context.Context, id, secret string) error {
	k := id + "\x00" + secret
	e.mu.Lock()
	ok := e.accepted[k]
	e.mu.Unlock()
	if ok {
		return nil
	}
	tok, err := e.Auth.ClientCredentialsToken(ctx, id, secret)
	if err != nil {
		return err
	}
	e.Redactor.Add(tok.AccessToken, tok.RefreshToken)
	e.mu.Lock()
	if e.accepted == nil {
		e.accepted = map[string]bool{}
	}
	e.accepted[k] = true
	e.mu.Unlock()
	return nil
}

// SecretOrigin records which environment a secret kept in the keyring
// belongs to: a secret is never taken for this environment's on the word
// of the keyring alone.
type SecretOrigin struct {
	Account  string    `json:"account"`
	AuthURL  string    `json:"auth_url"`
	GWSURL   string    `json:"gws_url,omitempty"`
	NexusURL string    `json:"nexus_url,omitempty"`
	Stored   time.Time `json:"stored,omitzero"`
}

// NewEnv builds the clients for a set of inputs. It makes no network call.
func NewEnv(in Values, opts Options) (*Env, error) {
	r := redact.New()
	r.Add(in.SecretValues()...)
	ho := opts.HTTP
	ho.CAFile = in.Get(KeyCAFile)
	ho.InsecureSkipVerify = in.Bool(KeyInsecure)
	ho.Redactor = r
	h, err := httpx.New(ho)
	if err != nil {
		return nil, err
	}
	kr := opts.Keyring
	if kr == nil {
		kr = secrets.Store{}
	}
	e := &Env{
		In:       in,
		Opts:     opts,
		Redactor: r,
		HTTP:     h,
		Auth:     gws.New(h, in.Get(KeyAuthURL), in.Get(KeyAdminUser), in.Get(KeyAdminPassword)),
		Nexus:    nexus.New(h, in.Get(KeyNexusURL)),
		Keyring:  kr,
		mem:      map[string]string{},
	}
	if hosts := HTTPPolicyOf(in).Hosts; len(hosts) > 0 {
		var plain []string
		for _, k := range []string{KeyAuthURL, KeyGWSURL, KeyNexusURL, KeyUCSURL} {
			if u := in.Get(k); strings.HasPrefix(strings.ToLower(u), "http://") {
				plain = append(plain, k)
			}
		}
		if len(plain) > 0 {
			e.warn(fmt.Sprintf("%s reached over plain http (allow_http_hosts: %s): credentials cross the network unencrypted; keep this to cluster-internal service URLs", strings.Join(plain, ", "), strings.Join(hosts, ", ")))
		}
	}
	if in.Bool(KeyInsecure) {
		e.warn("insecure_skip_verify is set: server certificates are NOT checked; anyone on the path can read the credentials. Use ca_file instead outside a lab.")
	}
	return e, nil
}

// Close releases the database connection, if one was opened.
func (e *Env) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.db != nil {
		e.db.Close()
		e.db = nil
	}
}

func (e *Env) warn(msg string) {
	if e.Opts.Warn != nil {
		e.Opts.Warn(e.Redactor.String(msg))
	}
}

// CCID is the contact center of this run (input or discovered).
func (e *Env) CCID() string { return e.In.Get(KeyCCID) }

// remember keeps an output of this run in memory; secrets join the redactor.
func (e *Env) remember(name, value string, secret bool) {
	if secret {
		e.Redactor.Add(value)
	}
	e.mu.Lock()
	e.mem[name] = value
	e.mu.Unlock()
}

// Account is the keyring account of a secret output: the client secret
// is the environment's (ClientSecretAccount of auth_url and client_id), the
// Nexus API key the contact center's. "" when it cannot be named yet.
func (e *Env) Account(name string) string { return KeyringAccount(e.In, name) }

// KeyringAccount is the keyring account of a secret output for these
// inputs; "" when the inputs do not name it yet.
func KeyringAccount(in Values, name string) string {
	switch name {
	case OutClientSecret:
		if in.Get(KeyAuthURL) == "" || in.Get(KeyClientID) == "" {
			return ""
		}
		return secrets.ClientSecretAccount(in.Get(KeyAuthURL), in.Get(KeyClientID))
	case OutAPIKey:
		if in.Get(KeyCCID) == "" {
			return ""
		}
		return secrets.Account(in.Get(KeyCCID), secrets.NexusAPIKey)
	}
	return ""
}

// ContactCenters lists the contact centers the ops credentials see: a GET,
// or Options.ContactCenters' answer when set.
func (e *Env) ContactCenters(ctx context.Context) ([]gws.ContactCenter, error) {
	if f := e.Opts.ContactCenters; f != nil {
		return f(ctx, e)
	}
	return e.Auth.ContactCenters(ctx)
}

// Output returns an output made earlier in this run, or, for outputs kept in
// the keyring, the stored value. ok is false when it is nowhere. An entry
// an older version kept under another account is moved first, when it is
// provably this environment's (see adoptLegacy).
func (e *Env) Output(ctx context.Context, name string) (string, bool, error) {
	e.mu.Lock()
	v, ok := e.mem[name]
	e.mu.Unlock()
	if ok {
		return v, true, nil
	}
	out, found := findOutput(name)
	if !found || out.Where != InKeyring {
		return "", false, nil
	}
	acct := e.Account(name)
	if acct == "" {
		return "", false, nil
	}
	v, err := e.Keyring.Get(ctx, acct)
	if errors.Is(err, secrets.ErrNotFound) {
		v, err = e.adoptLegacy(ctx, name, acct)
	}
	if errors.Is(err, secrets.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	e.remember(name, v, true)
	return v, true, nil
}

// elsewhere is an account where an output may already be kept.
type elsewhere struct {
	account string
	move    bool // an older version's entry: moved, not copied
}

// otherAccounts lists where an output may be kept besides its account:
// where older versions kept it (the client secret under "<cc_id>/client_secret",
// anything under an upper-case id), and the account the state records for
// it (the same Auth reached by another URL, a port-forward say).
func (e *Env) otherAccounts(name string) []elsewhere {
	var out []elsewhere
	if cc := e.CCID(); cc != "" {
		switch name {
		case OutClientSecret:
			out = append(out, elsewhere{secrets.LegacyClientSecretAccount(cc), true}, elsewhere{secrets.LegacyClientSecretAccount(strings.ToUpper(cc)), true})
		case OutAPIKey:
			out = append(out, elsewhere{strings.ToUpper(cc) + "/" + secrets.NexusAPIKey, true})
		}
	}
	e.mu.Lock()
	o, ok := e.saved[name]
	e.mu.Unlock()
	if ok && name == OutClientSecret && o.Account != "" {
		out = append(out, elsewhere{o.Account, false})
	}
	return out
}

// adoptLegacy brings an entry kept elsewhere (see otherAccounts) to the
// account used now. A client secret is adopted only when this Auth accepts
// it (a client_credentials token): a secret of another environment that
// shared the contact center id stays where it is, named once in a warning.
// ErrNotFound when there is nothing to adopt.
func (e *Env) adoptLegacy(ctx context.Context, name, acct string) (string, error) {
	for _, old := range e.otherAccounts(name) {
		if old.account == acct {
			continue
		}
		v, err := e.Keyring.Get(ctx, old.account)
		if errors.Is(err, secrets.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		e.Redactor.Add(v)
		if name == OutClientSecret {
			if terr := e.clientAccepts(ctx, e.In.Get(KeyClientID), v); terr != nil {
				if refused(terr) {
					e.warnOnce(old.account, fmt.Sprintf("the keyring entry %s / %s is not accepted by %s: it is not this environment's client secret and is left alone; if nothing uses it, remove it with: %s", secrets.Service, old.account, e.In.Get(KeyAuthURL), e.Command("secrets", "delete", old.account)))
					continue
				}
				return "", terr
			}
		}
		if err := e.Keyring.Set(ctx, acct, v); err != nil {
			return "", err
		}
		if !old.move {
			e.warn(fmt.Sprintf("copied the client secret from the keyring entry %s / %s (the same Auth at another URL) to %s", secrets.Service, old.account, acct))
			return v, nil
		}
		if err := e.Keyring.Delete(ctx, old.account); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return "", err
		}
		e.warn(fmt.Sprintf("moved the keyring entry %s / %s (written by an older version) to %s", secrets.Service, old.account, acct))
		return v, nil
	}
	return "", secrets.ErrNotFound
}

func (e *Env) warnOnce(key, msg string) {
	e.mu.Lock()
	if e.warned == nil {
		e.warned = map[string]bool{}
	}
	seen := e.warned[key]
	e.warned[key] = true
	e.mu.Unlock()
	if !seen {
		e.warn(msg)
	}
}

// UseState tells the environment what the saved state says about stored
// secrets (the Runner calls it when it loads the state).
func (e *Env) UseState(st *State) {
	if st == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.saved = st.Secrets
	e.legacyState = st.Secrets == nil
	e.savedInputs = st.Inputs
	e.savedSteps = map[string]Status{}
	for id, r := range st.Steps {
		if r != nil {
			e.savedSteps[id] = r.Status
		}
	}
}

// origin is this environment, as SecretOrigin records it.
func (e *Env) origin(name string) SecretOrigin {
	return SecretOrigin{Account: e.Account(name), AuthURL: e.In.Get(KeyAuthURL), GWSURL: e.In.Get(KeyGWSURL), NexusURL: e.In.Get(KeyNexusURL), Stored: time.Now().UTC()}
}

// noteStored records that this run put a secret output in the keyring.
func (e *Env) noteStored(name string) {
	o := e.origin(name)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stored == nil {
		e.stored = map[string]SecretOrigin{}
	}
	e.stored[name] = o
}

// StoredSecrets returns the origins of the secrets this run stored.
func (e *Env) StoredSecrets() map[string]SecretOrigin {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]SecretOrigin, len(e.stored))
	for k, v := range e.stored {
		out[k] = v
	}
	return out
}

// Belongs reports whether the keyring's secret output name is known to be
// this environment's: this run stored it, or the state records that a run
// against the same Auth and Digital Channels did. why says otherwise.
func (e *Env) Belongs(name string) (ok bool, why string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.stored[name]; ok {
		return true, ""
	}
	here := SecretOrigin{AuthURL: e.In.Get(KeyAuthURL), NexusURL: e.In.Get(KeyNexusURL)}
	if o, ok := e.saved[name]; ok {
		if o.AuthURL == here.AuthURL && (name == OutClientSecret || o.NexusURL == here.NexusURL) {
			return true, ""
		}
		return false, fmt.Sprintf("it was stored for another environment (auth_url %s, nexus_url %s)", o.AuthURL, o.NexusURL)
	}
	// A state written before origins were recorded: its last run's inputs
	// name the environment, and its step record says the key was stored.
	if e.legacyState && e.savedSteps[IDTenant] == StatusDone && e.savedInputs[KeyNexusURL] == here.NexusURL && e.savedInputs[KeyAuthURL] == here.AuthURL {
		return true, ""
	}
	return false, "no run of this tool against this environment recorded storing it"
}

// need returns an output the step cannot work without.
func (e *Env) need(ctx context.Context, name string) (string, error) {
	v, ok, err := e.Output(ctx, name)
	if err != nil {
		return "", err
	}
	if !ok {
		out, _ := findOutput(name)
		return "", fmt.Errorf("%s is not available: run step %s first", name, out.Producer)
	}
	return v, nil
}

// database opens the Nexus database once per run.
func (e *Env) database(ctx context.Context) (*nexusdb.DB, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.db != nil {
		return e.db, nil
	}
	db, err := nexusdb.Connect(ctx, e.In.Get(KeyDBURL))
	if err != nil {
		return nil, err
	}
	e.db = db
	return db, nil
}
