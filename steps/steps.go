package steps

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/nexus"
	"github.com/nexus-onboard/nexus-onboard/clients/nexusdb"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// Step is one stage of the procedure, described as data. The full run,
// `run --only/--skip`, `plan`, `steps`, the wizard's plan and the support
// menu are all views of the one list, All.
type Step struct {
	ID    string
	Title string
	Doc   string // one paragraph: what it does and why
	// Needs are the input keys the step cannot run without.
	Needs []string
	// Requires adds input keys needed only for some values (ucs_api_key with ucs_url).
	Requires func(Values) []string
	// Uses are outputs of other steps this step reads.
	Uses []string
	// Makes are the outputs the step produces.
	Makes []Output
	// ReadOnly steps change nothing remotely and are safe to pull in.
	ReadOnly bool
	// Environment steps make what belongs to the environment (one Auth, one
	// GWS) and is shared by all its contact centers: the Auth client and
	// the nex_gapis row. Reset leaves it while another contact center uses it.
	Environment bool
	// Skip returns a reason when the step does not apply to these inputs.
	Skip func(Values) string
	// Check reports whether the work is already done ("" result when not).
	// It runs before the action and again before any retried write.
	Check func(ctx context.Context, e *Env) (done bool, res Result, err error)
	// Run does the work.
	Run func(ctx context.Context, e *Env) (Result, error)
	// Plan describes exactly what Run would send, secrets masked.
	Plan func(e *Env) []Planned
	// Intends names what Run would create (State.Created records), saved
	// before it runs: a later check that finds the work done then knows the
	// work is this tool's, even if the answer or the state save was lost.
	Intends func(e *Env) map[string]string
}

// Result is what a check or an action reports.
type Result struct {
	Status  Status            // "" means done
	Outputs map[string]string // non-secret outputs, saved and printed
	Message string            // one line for people
	Warning string
	Created map[string]string // records for reset: what this tool created
}

// Where an output lives.
type Where int

// Output locations.
const (
	InState   Where = iota // non-secret: state file and JSON output
	InMemory               // secret, this run only (the access token)
	InKeyring              // secret, OS keyring
)

// Output is a value a step makes.
type Output struct {
	Name     string
	Where    Where
	Account  string // keyring account suffix, for InKeyring
	Producer string // filled by init from the owning step
}

// Output names.
const (
	OutCCID         = "cc_id"
	OutClientSecret = "client_secret"
	OutAccessToken  = "access_token"
	OutAPIKey       = "nexus_api_key"
)

// Step ids: a public contract.
const (
	IDContactCenter  = "contact-center"
	IDAuthClient     = "auth-client"
	IDVerifyClient   = "verify-client"
	IDRegisterGWS    = "register-gws"
	IDChatServiceURI = "chat-service-uri"
	IDTenantToken    = "tenant-token"
	IDUCSService     = "ucs-service"
	IDTenant         = "tenant"
	IDDesignerEnv    = "designer-env"
)

// Settings and values the procedure fixes.
const (
	chatSettingName     = "chat-service-uri"
	designerBaseURL     = "/nexus/v1"
	designerURL         = "/nexus/v3"
	designerTransaction = "DesignerEnv"
)

var opsNeeds = []string{KeyAuthURL, KeyAdminUser, KeyAdminPassword}

// All is the procedure, in order.
var All = []Step{
	{
		ID: IDContactCenter, Title: "Find the contact center",
		Doc:      "GET the contact centers from the Environment API; fills cc_id when it is not given and checks it when it is.",
		Needs:    opsNeeds,
		Makes:    []Output{{Name: OutCCID, Where: InState}},
		ReadOnly: true,
		Check:    checkContactCenter,
		Run:      runContactCenter,
		Plan:     planContactCenter,
	},
	{
		ID: IDAuthClient, Title: "Create the auth client",
		Doc:         "Create the confidential Auth client Digital Channels uses (POST /auth/v3/ops/clients) with a crypto-random secret kept in the OS keyring.",
		Needs:       append([]string{KeyNexusURL, KeyClientID}, opsNeeds...),
		Uses:        []string{OutCCID},
		Makes:       []Output{{Name: OutClientSecret, Where: InKeyring, Account: secrets.ClientSecret}},
		Environment: true,
		Check:       checkAuthClient,
		Run:         runAuthClient,
		Plan:        planAuthClient,
		Intends:     intendsAuthClient,
	},
	{
		ID: IDVerifyClient, Title: "Verify the client",
		Doc:      "Ask Auth for a client_credentials token with the stored secret: proves the client and the keyring agree.",
		Needs:    []string{KeyAuthURL, KeyClientID},
		Uses:     []string{OutCCID, OutClientSecret},
		ReadOnly: true,
		Run:      runVerifyClient,
		Plan:     planVerifyClient,
	},
	{
		ID: IDRegisterGWS, Title: "Register GWS in nex_gapis",
		Doc:         "Insert (or update) the nex_gapis row for GWS in the Digital Channels database, in one transaction with bound parameters. Without db_url: prints the SQL to run and records manual.",
		Needs:       []string{KeyGWSURL, KeyClientID},
		Uses:        []string{OutCCID, OutClientSecret},
		Environment: true,
		Check:       checkRegisterGWS,
		Run:         runRegisterGWS,
		Plan:        planRegisterGWS,
		Intends:     intendsRegisterGWS,
	},
	{
		ID: IDChatServiceURI, Title: "Set chat-service-uri",
		Doc:     "Set the contact center's chat-service-uri setting to nexus_url, so GWS knows Digital Channels.",
		Needs:   append([]string{KeyNexusURL}, opsNeeds...),
		Uses:    []string{OutCCID},
		Check:   checkChatServiceURI,
		Run:     runChatServiceURI,
		Plan:    planChatServiceURI,
		Intends: intendsChatServiceURI,
	},
	{
		ID: IDTenantToken, Title: "Log in as the tenant user",
		Doc:      "Password grant as <cc_id>\\<tenant_user> with the auth client; the token stays in memory.",
		Needs:    []string{KeyAuthURL, KeyClientID, KeyTenantUser, KeyTenantPass},
		Uses:     []string{OutCCID, OutClientSecret},
		Makes:    []Output{{Name: OutAccessToken, Where: InMemory}},
		ReadOnly: true,
		Run:      runTenantToken,
		Plan:     planTenantToken,
	},
	{
		ID: IDUCSService, Title: "Provision the UCS connection",
		Doc:      "Create the PlatformUCS service in Digital Channels (only when ucs_url is set).",
		Needs:    []string{KeyNexusURL},
		Requires: func(v Values) []string { return ifSet(v, KeyUCSURL, KeyUCSAPIKey) },
		Uses:     []string{OutCCID},
		Skip: func(v Values) string {
			if v.Get(KeyUCSURL) == "" {
				return "ucs_url is not set: UCS is not used"
			}
			return ""
		},
		Run:  runUCSService,
		Plan: planUCSService,
	},
	{
		ID: IDTenant, Title: "Provision the tenant",
		Doc:     "Provision the tenant in Digital Channels with the tenant token; its API key (xapikey) goes to the OS keyring.",
		Needs:   []string{KeyNexusURL, KeyGWSURL, KeyTenantName, KeyTenantUser, KeyTenantPass},
		Uses:    []string{OutCCID, OutAccessToken},
		Makes:   []Output{{Name: OutAPIKey, Where: InKeyring, Account: secrets.NexusAPIKey}},
		Run:     runTenant,
		Plan:    planTenant,
		Intends: func(e *Env) map[string]string { return map[string]string{CreatedTenant: e.CCID()} },
	},
	{
		ID: IDDesignerEnv, Title: "DesignerEnv transaction (manual)",
		Doc:  "Routing with Designer needs the DesignerEnv list transaction in Agent Setup; no public API: the tool shows the exact values to enter.",
		Uses: []string{OutCCID},
		Run:  runDesignerEnv,
		Plan: planDesignerEnv,
	},
}

func ifSet(v Values, key string, then ...string) []string {
	if v.Get(key) != "" {
		return then
	}
	return nil
}

var outputs = map[string]Output{}

func init() {
	for _, s := range All {
		for _, o := range s.Makes {
			o.Producer = s.ID
			outputs[o.Name] = o
		}
	}
}

func findOutput(name string) (Output, bool) {
	o, ok := outputs[name]
	return o, ok
}

// Lookup finds a step by id.
func Lookup(id string) (Step, bool) {
	for _, s := range All {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// IDs lists every step id in order.
func IDs() []string {
	ids := make([]string, len(All))
	for i, s := range All {
		ids[i] = s.ID
	}
	return ids
}

// --- contact-center ---------------------------------------------------------

func checkContactCenter(ctx context.Context, e *Env) (bool, Result, error) {
	if e.CCID() == "" {
		return false, Result{}, nil
	}
	ccs, err := e.Auth.ContactCenters(ctx)
	if err != nil {
		return false, Result{}, err
	}
	for _, cc := range ccs {
		if strings.EqualFold(cc.ID, e.CCID()) {
			return true, Result{Outputs: map[string]string{OutCCID: e.CCID()}, Message: "contact center " + e.CCID() + " exists"}, nil
		}
	}
	return false, Result{}, fmt.Errorf("contact center %s is not known to %s; it has: %s", e.CCID(), e.In.Get(KeyAuthURL), listCCs(ccs))
}

func runContactCenter(ctx context.Context, e *Env) (Result, error) {
	ccs, err := e.Auth.ContactCenters(ctx)
	if err != nil {
		return Result{}, err
	}
	switch len(ccs) {
	case 0:
		return Result{}, errors.New("GWS lists no contact center: provision one in GWS first")
	case 1:
		e.In.Set(KeyCCID, strings.ToLower(ccs[0].ID), FromUser)
		return Result{Outputs: map[string]string{OutCCID: e.CCID()}, Message: "found contact center " + e.CCID()}, nil
	}
	return Result{}, fmt.Errorf("GWS has %d contact centers: choose one with cc_id (%s)", len(ccs), listCCs(ccs))
}

func listCCs(ccs []gws.ContactCenter) string {
	if len(ccs) == 0 {
		return "none"
	}
	ids := make([]string, len(ccs))
	for i, cc := range ccs {
		ids[i] = cc.ID
		if len(cc.Domains) > 0 {
			ids[i] += " (" + strings.Join(cc.Domains, ", ") + ")"
		}
	}
	return strings.Join(ids, "; ")
}

// --- auth-client ------------------------------------------------------------

func clientSecretAccount(e *Env) string { return e.Account(OutClientSecret) }

// ErrClientSecretUnknown means the Auth client exists but no keyring entry
// of this environment holds its secret.
var ErrClientSecretUnknown = errors.New("its secret is not in the keyring")

// checkAuthClient asks Auth, not the keyring alone: the client is done when
// it exists and accepts the secret the keyring holds for this environment
// (a client_credentials token). That also settles a run stopped between
// storing the secret and the answer to the POST: the client is there with
// the intended secret, so it is ours and done.
func checkAuthClient(ctx context.Context, e *Env) (bool, Result, error) {
	id := e.In.Get(KeyClientID)
	_, err := e.Auth.GetClient(ctx, id)
	if errors.Is(err, gws.ErrNotFound) {
		return false, Result{}, nil
	}
	if err != nil {
		return false, Result{}, err
	}
	if e.Opts.RotateSecret {
		return false, Result{}, nil
	}
	secret, stored, err := e.Output(ctx, OutClientSecret)
	if err != nil {
		return false, Result{}, err
	}
	if !stored {
		return false, Result{}, needsRotation(e, fmt.Errorf("client %s already exists in Auth but %w (%s / %s); a new secret must be given to it, and nex_gapis updated", id, ErrClientSecretUnknown, secrets.Service, clientSecretAccount(e)))
	}
	if err := e.clientAccepts(ctx, id, secret); err != nil {
		if refused(err) {
			return false, Result{}, needsRotation(e, fmt.Errorf("client %s exists in Auth but %w (%s / %s): it was changed elsewhere", id, ErrStaleClientSecret, secrets.Service, clientSecretAccount(e)))
		}
		return false, Result{}, err
	}
	return true, Result{Outputs: map[string]string{"client_id": id, "secret_in": secrets.Service + " / " + clientSecretAccount(e)}, Message: "client " + id + " exists and accepts the secret in the keyring"}, nil
}

// refused reports whether Auth refused credentials (400/401 from the token endpoint).
func refused(err error) bool {
	var se *httpx.StatusError
	return errors.As(err, &se) && (se.Status == 401 || se.Status == 400)
}

func intendsAuthClient(e *Env) map[string]string {
	if e.Opts.RotateSecret {
		return nil // a PUT on an existing client creates nothing
	}
	return map[string]string{CreatedAuthClient: e.In.Get(KeyClientID)}
}

func runAuthClient(ctx context.Context, e *Env) (Result, error) {
	id := e.In.Get(KeyClientID)
	account := clientSecretAccount(e)
	old, had, err := e.Output(ctx, OutClientSecret)
	if err != nil {
		return Result{}, err
	}
	if e.Opts.RotateSecret {
		if _, err := e.Auth.GetClient(ctx, id); err == nil {
			return rotateClientSecret(ctx, e, id, account, old, had)
		} else if !errors.Is(err, gws.ErrNotFound) {
			return Result{}, err
		}
	}
	// A secret already in the keyring is one this tool made for this client
	// of this environment in a run that stopped before (or right after) the
	// POST: reuse it, so the client and the keyring can never disagree.
	secret := old
	if !had {
		if secret, err = secrets.Generate(); err != nil {
			return Result{}, err
		}
		// Stored before the client exists: if the POST succeeds and the
		// answer is lost, the secret is still known.
		if err := e.Keyring.Set(ctx, account, secret); err != nil {
			return Result{}, fmt.Errorf("store the client secret in the keyring: %w", err)
		}
		e.noteStored(OutClientSecret)
	}
	e.remember(OutClientSecret, secret, true)
	err = e.Auth.CreateClient(ctx, gws.NexusClient(id, secret, e.In.Get(KeyNexusURL)))
	if errors.Is(err, gws.ErrExists) {
		// Made by an earlier attempt whose answer was lost? Then our secret works.
		if _, terr := e.Auth.ClientCredentialsToken(ctx, id, secret); terr == nil {
			return Result{Outputs: map[string]string{"client_id": id}, Message: "client " + id + " exists with the stored secret", Created: map[string]string{CreatedAuthClient: id}}, nil
		}
		return Result{}, needsRotation(e, fmt.Errorf("%w: client %s already exists with another secret", err, id))
	}
	if err != nil {
		return Result{}, err
	}
	return Result{
		Outputs: map[string]string{"client_id": id, "secret_in": secrets.Service + " / " + account},
		Message: "created client " + id + "; secret stored in the keyring",
		Created: map[string]string{CreatedAuthClient: id},
	}, nil
}

func rotateClientSecret(ctx context.Context, e *Env, id, account, old string, had bool) (Result, error) {
	secret, err := secrets.Generate()
	if err != nil {
		return Result{}, err
	}
	e.Redactor.Add(secret)
	if err := e.Keyring.Set(ctx, account, secret); err != nil {
		return Result{}, fmt.Errorf("store the new client secret in the keyring: %w", err)
	}
	if err := e.Auth.UpdateClient(ctx, gws.NexusClient(id, secret, e.In.Get(KeyNexusURL))); err != nil {
		// Put the old secret back so the keyring keeps matching Auth.
		if had {
			_ = e.Keyring.Set(context.WithoutCancel(ctx), account, old)
		} else {
			_ = e.Keyring.Delete(context.WithoutCancel(ctx), account)
		}
		return Result{}, err
	}
	e.noteStored(OutClientSecret)
	e.remember(OutClientSecret, secret, true)
	return Result{
		Outputs: map[string]string{"client_id": id, "secret_in": secrets.Service + " / " + account},
		Message: "rotated the secret of client " + id,
		Warning: "the client secret changed: run " + IDRegisterGWS + " so nex_gapis has the new secret (" + e.Command("run", "--only", IDRegisterGWS) + ")",
	}, nil
}

// --- verify-client ----------------------------------------------------------

func runVerifyClient(ctx context.Context, e *Env) (Result, error) {
	secret, err := e.need(ctx, OutClientSecret)
	if err != nil {
		return Result{}, err
	}
	tok, err := e.Auth.ClientCredentialsToken(ctx, e.In.Get(KeyClientID), secret)
	if err != nil {
		if refused(err) {
			return Result{}, needsRotation(e, fmt.Errorf("%w: %w (%s / %s)", err, ErrStaleClientSecret, secrets.Service, clientSecretAccount(e)))
		}
		return Result{}, err
	}
	e.Redactor.Add(tok.AccessToken)
	return Result{Outputs: map[string]string{"token_type": tok.TokenType, "scope": tok.Scope}, Message: "client_credentials token issued"}, nil
}

// --- register-gws -----------------------------------------------------------

func checkRegisterGWS(ctx context.Context, e *Env) (bool, Result, error) {
	if e.In.Get(KeyDBURL) == "" {
		return false, Result{}, nil
	}
	secret, err := e.need(ctx, OutClientSecret)
	if err != nil {
		return false, Result{}, err
	}
	db, err := e.database(ctx)
	if err != nil {
		return false, Result{}, err
	}
	rows, err := db.FindGapis(ctx, e.In.Get(KeyGWSURL), e.In.Get(KeyClientID))
	if err != nil {
		return false, Result{}, err
	}
	e.remember(memGapiRows, fmt.Sprint(len(rows)), false)
	if len(rows) == 0 {
		return false, Result{}, nil
	}
	for _, r := range rows {
		if r.ClientSecret != secret {
			return false, Result{}, nil
		}
	}
	return true, Result{Outputs: map[string]string{"rows": fmt.Sprint(len(rows))}, Message: "nex_gapis has GWS with the current secret"}, nil
}

// memGapiRows holds, in memory, how many nex_gapis rows the check found.
const memGapiRows = "register-gws.rows"

func intendsRegisterGWS(e *Env) map[string]string {
	e.mu.Lock()
	rows := e.mem[memGapiRows]
	e.mu.Unlock()
	if e.In.Get(KeyDBURL) == "" || rows != "0" {
		return nil // manual, or an update of a row that was there before
	}
	return map[string]string{CreatedGapiRow: e.In.Get(KeyGWSURL) + " " + e.In.Get(KeyClientID)}
}

func runRegisterGWS(ctx context.Context, e *Env) (Result, error) {
	url, id := e.In.Get(KeyGWSURL), e.In.Get(KeyClientID)
	if e.In.Get(KeyDBURL) == "" {
		return Result{
			Status:  StatusManual,
			Outputs: map[string]string{"sql": nexusdb.ManualSQL(url, id, clientSecretAccount(e))},
			Message: "db_url is not set: run the SQL in outputs.sql with psql against the Digital Channels database (the secret is read from the keyring, not written in the SQL)",
		}, nil
	}
	secret, err := e.need(ctx, OutClientSecret)
	if err != nil {
		return Result{}, err
	}
	db, err := e.database(ctx)
	if err != nil {
		return Result{}, err
	}
	outcome, err := db.EnsureGapi(ctx, url, id, secret)
	if err != nil {
		return Result{}, err
	}
	res := Result{Outputs: map[string]string{"outcome": string(outcome)}, Message: "nex_gapis: " + string(outcome)}
	if outcome == nexusdb.Inserted {
		res.Created = map[string]string{CreatedGapiRow: url + " " + id}
	}
	return res, nil
}

// --- chat-service-uri -------------------------------------------------------

func checkChatServiceURI(ctx context.Context, e *Env) (bool, Result, error) {
	set, err := e.Auth.Settings(ctx, e.CCID())
	if err != nil {
		return false, Result{}, err
	}
	previous := ""
	for _, s := range set {
		if s.Name == chatSettingName {
			previous = s.Value
		}
	}
	// The action needs the value it replaces; keep it rather than ask again.
	e.remember(memChatPrevious, previous, false)
	if previous == e.In.Get(KeyNexusURL) {
		return true, Result{Outputs: map[string]string{"value": previous}, Message: "chat-service-uri already points at " + previous}, nil
	}
	return false, Result{}, nil
}

// memChatPrevious holds, in memory, the chat-service-uri value the check saw.
const memChatPrevious = "chat-service-uri.previous"

func intendsChatServiceURI(e *Env) map[string]string {
	e.mu.Lock()
	previous, checked := e.mem[memChatPrevious]
	e.mu.Unlock()
	if !checked || previous != "" {
		return nil // replacing someone's value creates nothing of ours
	}
	return map[string]string{CreatedSetting: e.In.Get(KeyNexusURL)}
}

func runChatServiceURI(ctx context.Context, e *Env) (Result, error) {
	want := e.In.Get(KeyNexusURL)
	e.mu.Lock()
	previous := e.mem[memChatPrevious]
	e.mu.Unlock()
	var created map[string]string
	if previous == "" {
		created = map[string]string{CreatedSetting: want}
	}
	err := e.Auth.CreateSetting(ctx, e.CCID(), gws.Setting{Name: chatSettingName, Location: "/", Value: want, Shared: false})
	if err != nil {
		return Result{}, err
	}
	res := Result{Outputs: map[string]string{"value": want}, Message: "chat-service-uri set to " + want, Created: created}
	if previous != "" {
		res.Warning = "replaced the previous value " + previous
		res.Outputs["previous"] = previous
	}
	return res, nil
}

// --- tenant-token -----------------------------------------------------------

// TenantUsername is the password grant username: <cc_id>\<tenant_user>, one backslash.
func TenantUsername(ccID, user string) string { return ccID + `\` + user }

func runTenantToken(ctx context.Context, e *Env) (Result, error) {
	secret, err := e.need(ctx, OutClientSecret)
	if err != nil {
		return Result{}, err
	}
	tok, err := e.Auth.PasswordToken(ctx, e.In.Get(KeyClientID), secret, TenantUsername(e.CCID(), e.In.Get(KeyTenantUser)), e.In.Get(KeyTenantPass))
	if err != nil {
		return Result{}, err
	}
	e.remember(OutAccessToken, tok.AccessToken, true)
	if tok.RefreshToken != "" {
		e.Redactor.Add(tok.RefreshToken)
	}
	return Result{Outputs: map[string]string{"expires_in": fmt.Sprint(tok.ExpiresIn)}, Message: "token issued for " + TenantUsername(e.CCID(), e.In.Get(KeyTenantUser)) + " (kept in memory)"}, nil
}

// --- ucs-service ------------------------------------------------------------

func runUCSService(ctx context.Context, e *Env) (Result, error) {
	err := e.Nexus.ProvisionUCS(ctx, e.CCID(), e.In.Get(KeyUCSAPIKey), e.In.Get(KeyUCSURL))
	if errors.Is(err, nexus.ErrExists) {
		// No GET is documented for provisioning services: the answer to the
		// create is the only "already done" signal there is.
		return Result{Status: StatusAlreadyDone, Outputs: map[string]string{"url": e.In.Get(KeyUCSURL)},
			Message: "Digital Channels already has a PlatformUCS service for this contact center"}, nil
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Outputs: map[string]string{"url": e.In.Get(KeyUCSURL)}, Message: "PlatformUCS points at " + e.In.Get(KeyUCSURL)}, nil
}

// --- tenant -----------------------------------------------------------------

func apiKeyAccount(e *Env) string { return e.Account(OutAPIKey) }

// The tenant has no Check: Digital Channels documents no read of a tenant,
// and a key in the local keyring is no evidence that this environment has
// the tenant (a lab restored from production, a second sandbox, share
// contact center ids). The create is sent every run; "already exists" is
// the server saying it is done.

func tenantBody(e *Env) nexus.Tenant {
	return nexus.Tenant{
		ID: e.CCID(), Name: e.In.Get(KeyTenantName), Type: nexus.TenantTypePureEngage,
		BackendURL: e.In.Get(KeyGWSURL), Username: e.In.Get(KeyTenantUser), Token: e.In.Get(KeyTenantPass),
		GenesysTenantID: 1,
	}
}

func storeKeyHint(e *Env) string {
	return fmt.Sprintf("get it from the Digital Channels admin (nex_apikeys table) and store it with: secret-tool store --label='nexus-onboard %s' service %s username %s", apiKeyAccount(e), secrets.Service, apiKeyAccount(e))
}

func runTenant(ctx context.Context, e *Env) (Result, error) {
	token, err := e.need(ctx, OutAccessToken)
	if err != nil {
		return Result{}, err
	}
	key, err := e.Nexus.ProvisionTenant(ctx, token, tenantBody(e))
	if errors.Is(err, nexus.ErrExists) {
		res := Result{Status: StatusAlreadyDone, Message: "Digital Channels already has this tenant"}
		_, inKeyring, kerr := e.Output(ctx, OutAPIKey)
		if kerr != nil {
			return Result{}, kerr
		}
		ours, why := e.Belongs(OutAPIKey)
		switch {
		case inKeyring && ours:
			res.Outputs = map[string]string{"key_in": secrets.Service + " / " + apiKeyAccount(e)}
			res.Message += "; its API key is in the keyring"
		case inKeyring:
			res.Warning = fmt.Sprintf("the tenant exists, but the API key in the keyring (%s / %s) is not known to be this tenant's: %s. Digital Channels returns the key only when it creates the tenant: if it is not this tenant's key, delete it (%s) and %s",
				secrets.Service, apiKeyAccount(e), why, e.Command("secrets", "delete", apiKeyAccount(e)), storeKeyHint(e))
		default:
			res.Warning = "the tenant exists but its API key is not in the keyring; Digital Channels returns the key only when it creates the tenant: " + storeKeyHint(e)
		}
		return res, nil
	}
	if err != nil {
		return Result{}, err
	}
	e.remember(OutAPIKey, key, true)
	// The key exists only in this answer: keep trying the keyring a little
	// before giving up on it.
	var kerr error
	for i := 0; i < 3; i++ {
		if kerr = e.Keyring.Set(context.WithoutCancel(ctx), apiKeyAccount(e), key); kerr == nil {
			break
		}
	}
	if kerr != nil {
		return Result{}, fmt.Errorf("the tenant was created but its API key could not be stored in the keyring (%w). Digital Channels shows the key only once: ask its admin for the tenant's key (nex_apikeys) and store it with: secret-tool store --label='nexus-onboard' service %s username %s", kerr, secrets.Service, apiKeyAccount(e))
	}
	e.noteStored(OutAPIKey)
	return Result{
		Outputs: map[string]string{"key_in": secrets.Service + " / " + apiKeyAccount(e)},
		Message: "tenant provisioned; API key stored in the keyring",
		Created: map[string]string{CreatedTenant: e.CCID()},
	}, nil
}

// TenantKey returns the tenant's Nexus API key for showing (DesignerEnv):
// found says the keyring has one, ours that it is known to be this
// environment's tenant's (key is "" otherwise); why explains when not.
func TenantKey(ctx context.Context, e *Env) (key string, found, ours bool, why string, err error) {
	key, found, err = e.Output(ctx, OutAPIKey)
	if err != nil || !found {
		return "", false, false, "the tenant's Nexus API key is not in the keyring (" + apiKeyAccount(e) + ")", err
	}
	if ok, why := e.Belongs(OutAPIKey); !ok {
		return "", true, false, "the Nexus API key in the keyring (" + apiKeyAccount(e) + ") is not known to be this tenant's: " + why, nil
	}
	return key, true, true, "", nil
}

// --- designer-env -----------------------------------------------------------

// DesignerEnv returns the DesignerEnv transaction options; the password is
// the tenant's Nexus API key.
func DesignerEnv(apiKey string) [][2]string {
	return [][2]string{{"baseurl", designerBaseURL}, {"password", apiKey}, {"url", designerURL}}
}

func runDesignerEnv(ctx context.Context, e *Env) (Result, error) {
	_, _, ok, why, err := TenantKey(ctx, e)
	if err != nil {
		return Result{}, err
	}
	res := Result{
		Status: StatusManual,
		Outputs: map[string]string{
			"transaction": designerTransaction, "type": "List",
			"baseurl": designerBaseURL, "url": designerURL,
			"password": "the Nexus API key (keyring " + secrets.Service + " / " + apiKeyAccount(e) + ")",
		},
		Message: "In Agent Setup (Environment tenant), open or create the List transaction DesignerEnv (name and alias) and set baseurl, password and url as shown",
	}
	if !ok {
		res.Warning = why + ": password must be this tenant's key; see the tenant step"
	}
	return res, nil
}
