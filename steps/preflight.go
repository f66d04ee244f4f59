package steps

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// Check is one independent preflight check. Both faces run the same list
// (PreflightChecks) through RunChecks before any change: the wizard with a
// spinner per check, `run` as lines on stderr. None changes anything.
type Check struct {
	Name string // "Auth URL reachable"
	Key  string // the input concerned, for the form to jump to
	// After names the checks this one relies on: when one of them fails
	// or is not checked, this one is not checked either, so one cause is
	// reported once.
	After []string
	// Gate names checks this one does not rely on to run, but whose
	// failure makes its outcome moot: it runs alongside them, and its
	// outcome is reported only once they have passed; otherwise it is
	// reported as not checked, like After. A read-only network check
	// gated on the keyring costs the run no time while the keyring is
	// proven, and still tells one cause once when it is not.
	Gate []string
	// Local checks ask nothing of the network (the keyring); `run
	// --no-preflight` keeps them.
	Local bool
	Run   func(ctx context.Context) (note string, err error)
}

// NotChecked is what a check returns when it cannot tell yet: not a pass
// (never a ✓) and not a failure (it does not stop the run).
type NotChecked struct{ Why string }

func (n *NotChecked) Error() string { return "not checked: " + n.Why }

func notChecked(format string, a ...any) error { return &NotChecked{Why: fmt.Sprintf(format, a...)} }

// Names of the checks others rely on.
const (
	checkKeyring = "OS keyring writable"
	checkAuth    = "Auth URL reachable"
	checkOps     = "Ops credentials accepted"
)

// PreflightChecks lists the checks that apply to the selected steps and
// their inputs: every URL they use reachable with a valid certificate, the
// ops credentials accepted, the keyring writable and holding what the steps
// read, the tenant user able to log in (once the client exists), the
// database reachable (or manual mode).
func PreflightChecks(e *Env, sel Selection) []Check {
	var active []Step
	for _, st := range sel.Steps {
		if st.Skip == nil || st.Skip(e.In) == "" {
			active = append(active, st)
		}
	}
	needs := map[string]bool{}
	for _, k := range (Selection{Steps: active}).Required(e.In) {
		needs[k] = true
	}
	has := func(id string) bool { return slices.ContainsFunc(active, func(s Step) bool { return s.ID == id }) }
	usesKeyring := slices.ContainsFunc(active, func(s Step) bool {
		return slices.ContainsFunc(s.Uses, func(n string) bool { o, _ := findOutput(n); return o.Where == InKeyring }) ||
			slices.ContainsFunc(s.Makes, func(o Output) bool { return o.Where == InKeyring })
	})

	// Nothing is changed before the keyring is proven, and a keyring that
	// cannot keep a secret is reported once (every other check says "not
	// checked"). The other checks, all read-only, run while it is proven
	// and are reported after it (Gate): a broken keyring fails their
	// reads too, but only its own check tells why.
	keyring := []string{checkKeyring}
	var cs []Check
	ping := func(name, key string, f func(context.Context) error) {
		used := needs[key] || key == KeyUCSURL && has(IDUCSService) // ucs_url is optional: used when set
		if !used || e.In.Get(key) == "" {
			return
		}
		cs = append(cs, Check{Name: name, Key: key, Gate: keyring, Run: func(ctx context.Context) (string, error) {
			return "reachable, certificate valid", f(ctx)
		}})
	}
	cs = append(cs, Check{Name: checkKeyring, Key: FixKeyring, Local: true, Run: func(ctx context.Context) (string, error) {
		if _, inMemory := e.Keyring.(*secrets.Memory); inMemory {
			return "sandbox: secrets kept in memory, gone when it stops", nil
		}
		err := e.Keyring.Probe(ctx)
		if err != nil && inPod() && e.In.Source(KeySecretStore) == FromDefault {
			// No keyring in a pod, and no store chosen: name both choices.
			err = fmt.Errorf("%w; in a Kubernetes pod, choose where secrets go: %s=%s (a Secret per contact center, with the state and lock in the cluster: deploy/kubernetes) or %s=%s with a Secret Service in the pod", err, EnvPrefix+"SECRET_STORE", StoreKubernetes, EnvPrefix+"SECRET_STORE", StoreKeyring)
		}
		return "write, read and delete of a probe entry worked", err
	}})
	ping(checkAuth, KeyAuthURL, e.Auth.Ping)
	ping("Digital Channels URL reachable", KeyNexusURL, e.Nexus.Ping)
	ping("GWS URL reachable", KeyGWSURL, func(ctx context.Context) error { return pingURL(ctx, e, e.In.Get(KeyGWSURL)) })
	ping("UCS URL reachable", KeyUCSURL, func(ctx context.Context) error { return pingURL(ctx, e, e.In.Get(KeyUCSURL)) })
	if needs[KeyAdminPassword] && e.In.Get(KeyAuthURL) != "" {
		cs = append(cs, Check{Name: checkOps, Key: KeyAdminPassword, After: []string{checkAuth}, Gate: keyring, Run: func(ctx context.Context) (string, error) {
			ccs, err := e.ContactCenters(ctx)
			if err != nil {
				return "", err
			}
			if e.CCID() != "" {
				for _, cc := range ccs {
					if strings.EqualFold(cc.ID, e.CCID()) {
						return fmt.Sprintf("%s among the contact centers", e.CCID()), nil
					}
				}
				return "", fmt.Errorf("contact center %s is not among the %s GWS knows: %s", e.CCID(), Plural(len(ccs), "contact center"), listCCs(ccs))
			}
			return Plural(len(ccs), "contact center"), nil
		}})
	}
	if usesKeyring {
		cs = append(cs, Check{Name: "Stored secrets the steps need", Key: FixKeyring, Gate: keyring, Local: true, Run: func(ctx context.Context) (string, error) {
			if ps := (Selection{Steps: active}).Preflight(ctx, e); len(ps) > 0 {
				return "", ps
			}
			return "present, or made by an earlier step of this run", nil
		}})
	}
	if has(IDTenantToken) && e.In.Get(KeyAuthURL) != "" {
		after := []string{checkAuth}
		if needs[KeyAdminPassword] {
			after = append(after, checkOps)
		}
		cs = append(cs, Check{Name: "Tenant user can log in", Key: KeyTenantPass, After: after, Gate: keyring, Run: func(ctx context.Context) (string, error) {
			return checkTenantLogin(ctx, e)
		}})
	}
	if has(IDRegisterGWS) {
		cs = append(cs, Check{Name: "Nexus database reachable", Key: KeyDBURL, Gate: keyring, Run: func(ctx context.Context) (string, error) {
			if e.In.Get(KeyDBURL) == "" {
				return "no db_url: register-gws will print the SQL to run (manual)", nil
			}
			db, err := e.database(ctx)
			if err != nil {
				return "", err
			}
			if err := db.CheckSchema(ctx); err != nil {
				return "", err
			}
			return "connected; nex_gapis present", nil
		}})
	}
	return cs
}

// checkTenantLogin logs the tenant user in when the client exists with the
// secret the keyring holds; otherwise it says why it cannot tell yet. It
// never blocks the step that would settle what it found: a client that is
// missing is made by auth-client, with the secret already stored.
func checkTenantLogin(ctx context.Context, e *Env) (string, error) {
	secret, ok, err := e.Output(ctx, OutClientSecret)
	if err != nil {
		return "", err
	}
	id := e.In.Get(KeyClientID)
	if e.CCID() == "" {
		return "", notChecked("the contact center is not known yet: step %s finds it, then %s logs in", IDContactCenter, IDTenantToken)
	}
	if !ok {
		return "", notChecked("the Auth client's secret is not in the keyring yet: step %s makes it, then %s logs in", IDAuthClient, IDTenantToken)
	}
	if _, err := e.Auth.GetClient(ctx, id); errors.Is(err, gws.ErrNotFound) {
		return "", notChecked("client %s does not exist yet: step %s creates it with the secret in the keyring", id, IDAuthClient)
	} else if err != nil {
		return "", err
	}
	if err := e.clientAccepts(ctx, id, secret); err != nil {
		if refused(err) {
			// Not the tenant's password: Auth refuses the client secret
			// this keyring holds (rotated elsewhere, or another keyring).
			return "", needsRotation(e, fmt.Errorf("%w: %w (%s / %s)", err, ErrStaleClientSecret, secrets.Service, clientSecretAccount(e)))
		}
		return "", err
	}
	tok, err := e.Auth.PasswordToken(ctx, id, secret, TenantUsername(e.CCID(), e.In.Get(KeyTenantUser)), e.In.Get(KeyTenantPass))
	if err != nil {
		return "", err
	}
	e.Redactor.Add(tok.AccessToken, tok.RefreshToken)
	return "logged in as " + TenantUsername(e.CCID(), e.In.Get(KeyTenantUser)), nil
}

// Plural says "1 noun" or "N nouns".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// CheckResult is how one check ended.
type CheckResult struct {
	Index      int // in the list given to RunChecks
	Name       string
	Fix        string // what fixes a failure: an input key, FixKeyring or FixClientSecret
	Note       string // redacted
	Err        string // redacted; "" when it passed or was not checked
	NotChecked bool   // Note says why
	Waits      string // the check it needed, when that one did not pass
	Duration   time.Duration
	// Cause is the error itself, for errors.As (FixOf); its text is not
	// redacted: show Err.
	Cause error
}

// Failed reports whether the check found a problem.
func (r CheckResult) Failed() bool { return r.Err != "" }

// RunChecks runs the checks side by side, each as soon as the checks it
// relies on (After) have passed, and reports each result to emit as it is
// final: once its gates (Gate) have passed too (emit calls are
// serialised). It returns every result in list order.
func RunChecks(ctx context.Context, e *Env, checks []Check, emit func(CheckResult)) []CheckResult {
	// ran[i] closes when check i has run (or was skipped), its outcome in
	// found[i]: what After waits for. done[i] closes when its result is
	// final (its gates settled), in results[i]: what Gate waits for.
	found := make([]CheckResult, len(checks))
	results := make([]CheckResult, len(checks))
	ran := make([]chan struct{}, len(checks))
	done := make([]chan struct{}, len(checks))
	byName := map[string]int{}
	for i, c := range checks {
		ran[i], done[i] = make(chan struct{}), make(chan struct{})
		byName[c.Name] = i
	}
	// unmet is the first of deps whose result in rs (once wait says it
	// is there) did not pass; "" when all did.
	unmet := func(deps []string, wait []chan struct{}, rs []CheckResult) string {
		for _, dep := range deps {
			j, ok := byName[dep]
			if !ok {
				continue
			}
			<-wait[j]
			if d := rs[j]; d.Failed() || d.NotChecked {
				return dep
			}
		}
		return ""
	}
	var emitMu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			r := CheckResult{Index: i, Name: c.Name, Fix: c.Key}
			if dep := unmet(c.After, ran, found); dep != "" {
				r.NotChecked, r.Waits, r.Note = true, dep, "not checked: needs "+dep
			} else {
				t0 := time.Now()
				note, err := c.Run(ctx)
				r.Duration = time.Since(t0)
				var nc *NotChecked
				switch {
				case err != nil && ctx.Err() != nil:
					// Stopped, not failed: it says nothing about what it checks.
					r.NotChecked, r.Note = true, "not checked: interrupted"
				case errors.As(err, &nc):
					r.NotChecked, r.Note = true, e.Redactor.String(nc.Error())
				case err != nil:
					r.Err, r.Cause, r.Fix = e.Redactor.Error(err), err, FixKey(err, c.Key)
				default:
					r.Note = e.Redactor.String(note)
				}
			}
			found[i] = r
			close(ran[i])
			if gate := unmet(c.Gate, done, results); gate != "" {
				// Moot: what it found is not reported, so the gate's
				// failure stays the one cause.
				r = CheckResult{Index: i, Name: c.Name, Fix: c.Key, NotChecked: true, Waits: gate, Note: "not checked: needs " + gate}
			}
			results[i] = r
			if emit != nil {
				emitMu.Lock()
				emit(r)
				emitMu.Unlock()
			}
		}()
	}
	wg.Wait()
	return results
}

// ErrStaleClientSecret means Auth refuses the client secret the keyring holds.
var ErrStaleClientSecret = errors.New("the client secret in the keyring is not accepted by Auth")

// Fix targets that are not inputs.
const (
	FixKeyring      = "keyring"
	FixClientSecret = "client secret"
)

// FixKey names what fixes a failed check: an input key, FixKeyring or
// FixClientSecret; def (the check's own Key) when the error says nothing
// more precise. An untrusted certificate is fixed by ca_file, not the URL.
func FixKey(err error, def string) string {
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknownCA):
		return KeyCAFile
	case errors.Is(err, secrets.ErrUnavailable):
		return FixKeyring
	case errors.Is(err, ErrStaleClientSecret), errors.Is(err, ErrClientSecretUnknown):
		return FixClientSecret
	}
	return def
}

// pingURL checks that a base URL answers over verified TLS.
func pingURL(ctx context.Context, e *Env, base string) error {
	return gws.New(e.HTTP, base, "", "").Ping(ctx)
}

// DiscoverContactCenters lists the contact centers the ops credentials see,
// for the wizard's picker.
func DiscoverContactCenters(ctx context.Context, e *Env) ([]gws.ContactCenter, error) {
	ccs, err := e.ContactCenters(ctx)
	if err != nil {
		return nil, err
	}
	if len(ccs) == 0 {
		return nil, errors.New("GWS lists no contact center: provision one in GWS first")
	}
	return ccs, nil
}

// inPod reports whether the tool runs in a Kubernetes pod.
func inPod() bool { return os.Getenv("KUBERNETES_SERVICE_HOST") != "" }
