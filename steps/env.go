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
	"sync"

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
	Warn         func(string)  // where warnings go (nil: dropped)
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

// Output returns an output made earlier in this run, or, for outputs kept in
// the keyring, the stored value. ok is false when it is nowhere.
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
	if e.CCID() == "" {
		return "", false, nil
	}
	v, err := e.Keyring.Get(ctx, secrets.Account(e.CCID(), out.Account))
	if errors.Is(err, secrets.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	e.remember(name, v, true)
	return v, true, nil
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
