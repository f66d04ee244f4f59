package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/nexus-onboard/nexus-onboard/clients/nexus"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// IDTenant provisions the tenant in Digital Channels.
const IDTenant = "tenant"

// OutAPIKey is the tenant's Nexus API key, kept in the keyring.
const OutAPIKey = "nexus_api_key"

// CreatedTenant records (in State.Created) the tenant this tool provisioned.
const CreatedTenant = "tenant"

var tenant = Declare(Step{
	ID: IDTenant, Title: "Provision the tenant",
	Doc:     "Provision the tenant in Digital Channels with the tenant token; its API key (xapikey) goes to the OS keyring.",
	Needs:   []string{KeyNexusURL, KeyGWSURL, KeyTenantName, KeyTenantUser, KeyTenantPass},
	Uses:    []string{OutCCID, OutAccessToken},
	Makes:   []Output{{Name: OutAPIKey, Where: InKeyring, Account: secrets.NexusAPIKey}},
	Creates: []string{CreatedTenant},
	Plan: func(e *Env) []Planned {
		t := tenantBody(e)
		t.ID = e.planCCID()
		return []Planned{planned(e, "every run: \"already exists\" means done (no read API)", e.Nexus.ProvisionTenantRequest(phToken, t))}
	},
	Audit: auditTenant,
}, Does[none]{
	Intends: func(e *Env, _ none) map[string]string { return map[string]string{CreatedTenant: e.CCID()} },
	Run:     runTenant,
	Undo:    undoTenant,
})

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

func runTenant(ctx context.Context, e *Env, _ none) (Result, error) {
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

// undoTenant: Digital Channels has no API to delete a tenant, so reset
// says whom to ask; the API key this tool stored is deleted.
func undoTenant(e *Env, st *State) []Undo {
	var out []Undo
	if id, ok := st.Created[CreatedTenant]; ok {
		out = append(out, Undo{Step: IDTenant, Manual: true,
			What: fmt.Sprintf("Digital Channels documents no API to delete a tenant: ask its administrator to remove tenant %s (%s)", id, e.In.Get(KeyTenantName))})
	}
	if acct := secrets.Account(st.ccLower(), secrets.NexusAPIKey); storedHere(st, OutAPIKey, acct) {
		out = append(out, keyringUndo(IDTenant, acct, IDTenant))
	}
	return out
}

// auditTenant: Digital Channels documents no read of a tenant, so doctor
// tells what it can: whether the last run provisioned it, and whether the
// keyring holds an API key known to be this tenant's.
func auditTenant(ctx context.Context, e *Env, st *State) *Diagnosis {
	if st != nil {
		if r := st.Steps[IDTenant]; r == nil || !r.Status.OK() {
			return &Diagnosis{Status: HealthDrift, Detail: "the last run did not provision the tenant", Fix: e.Command("run", "--only", IDTenant)}
		}
	}
	_, found, ours, why, err := TenantKey(ctx, e)
	switch {
	case err != nil:
		return &Diagnosis{Status: HealthError, Detail: e.Redactor.Error(err)}
	case !found:
		return &Diagnosis{Status: HealthDrift, Detail: why + "; Digital Channels returns the key only when it creates the tenant: " + storeKeyHint(e)}
	case !ours:
		return &Diagnosis{Status: HealthDrift, Detail: why, Fix: e.Command("secrets", "delete", apiKeyAccount(e))}
	}
	return &Diagnosis{Status: HealthOK, Detail: "provisioned by the last run; its API key is in the keyring (Digital Channels has no read API for tenants)"}
}
