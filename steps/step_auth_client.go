package steps

import (
	"context"
	"errors"
	"fmt"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// IDAuthClient creates the Auth client Digital Channels uses.
const IDAuthClient = "auth-client"

// OutClientSecret is the Auth client's secret, kept in the keyring.
const OutClientSecret = "client_secret"

// CreatedAuthClient records (in State.Created) the client this tool made.
const CreatedAuthClient = "auth_client"

var authClient = Declare(Step{
	ID: IDAuthClient, Title: "Create the auth client",
	Doc:         "Create the confidential Auth client Digital Channels uses (POST /auth/v3/ops/clients) with a crypto-random secret kept in the OS keyring.",
	Needs:       append([]string{KeyNexusURL, KeyClientID}, opsNeeds...),
	Uses:        []string{OutCCID},
	Makes:       []Output{{Name: OutClientSecret, Where: InKeyring, Account: secrets.ClientSecret}},
	Environment: true,
	Creates:     []string{CreatedAuthClient},
	Plan:        planAuthClient,
}, Does[none]{
	Check:   checkAuthClient,
	Intends: intendsAuthClient,
	Run:     runAuthClient,
	Undo:    undoAuthClient,
})

func clientSecretAccount(e *Env) string { return e.Account(OutClientSecret) }

// ErrClientSecretUnknown means the Auth client exists but no keyring entry
// of this environment holds its secret.
var ErrClientSecretUnknown = errors.New("its secret is not in the keyring")

// checkAuthClient asks Auth, not the keyring alone: the client is done when
// it exists and accepts the secret the keyring holds for this environment
// (a client_credentials token). That also settles a run stopped between
// storing the secret and the answer to the POST: the client is there with
// the intended secret, so it is ours and done.
func checkAuthClient(ctx context.Context, e *Env) (Observed[none], error) {
	id := e.In.Get(KeyClientID)
	_, err := e.Auth.GetClient(ctx, id)
	if errors.Is(err, gws.ErrNotFound) {
		return Observed[none]{}, nil
	}
	if err != nil {
		return Observed[none]{}, err
	}
	if e.Opts.RotateSecret {
		return Observed[none]{}, nil
	}
	secret, stored, err := e.Output(ctx, OutClientSecret)
	if err != nil {
		return Observed[none]{}, err
	}
	if !stored {
		return Observed[none]{}, needsRotation(e, fmt.Errorf("client %s already exists in Auth but %w (%s / %s); a new secret must be given to it, and nex_gapis updated", id, ErrClientSecretUnknown, secrets.Service, clientSecretAccount(e)))
	}
	if err := e.clientAccepts(ctx, id, secret); err != nil {
		if refused(err) {
			return Observed[none]{}, needsRotation(e, fmt.Errorf("client %s exists in Auth but %w (%s / %s): it was changed elsewhere", id, ErrStaleClientSecret, secrets.Service, clientSecretAccount(e)))
		}
		return Observed[none]{}, err
	}
	return Observed[none]{Done: true, Result: Result{Outputs: map[string]string{"client_id": id, "secret_in": secrets.Service + " / " + clientSecretAccount(e)}, Message: "client " + id + " exists and accepts the secret in the keyring"}}, nil
}

// refused reports whether Auth refused credentials (400/401 from the token endpoint).
func refused(err error) bool {
	var se *httpx.StatusError
	return errors.As(err, &se) && (se.Status == 401 || se.Status == 400)
}

func intendsAuthClient(e *Env, _ none) map[string]string {
	if e.Opts.RotateSecret {
		return nil // a PUT on an existing client creates nothing
	}
	return map[string]string{CreatedAuthClient: e.In.Get(KeyClientID)}
}

func runAuthClient(ctx context.Context, e *Env, _ none) (Result, error) {
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

func planAuthClient(e *Env) []Planned {
	id := e.In.Get(KeyClientID)
	oc := gws.NexusClient(id, phSecret, e.In.Get(KeyNexusURL))
	ps := []Planned{planned(e, "does the client exist?", e.Auth.GetClientRequest(id))}
	if e.Opts.RotateSecret {
		return append(ps, planned(e, "if it exists (--rotate-secret): give it a new secret", e.Auth.UpdateClientRequest(oc)))
	}
	return append(ps, planned(e, "if it does not: create it", e.Auth.CreateClientRequest(oc)))
}

// undoAuthClient deletes the client this tool created, once proven ours,
// and then the keyring entry of its secret. The secret proves the client
// and the nex_gapis row are ours: it stays while either could not be
// removed.
func undoAuthClient(e *Env, st *State) []Undo {
	var out []Undo
	if id, ok := st.Created[CreatedAuthClient]; ok {
		out = append(out, Undo{Step: IDAuthClient, Needs: opsNeeds,
			What: "delete the Auth client " + id + ", if the secret in the keyring proves it is the one this tool created",
			Plan: []Planned{
				planned(e, "does the client exist?", e.Auth.GetClientRequest(id)),
				planned(e, "is it ours? the client secret in the keyring must get a token", e.Auth.ClientCredentialsTokenRequest(id, phKeyringSecret)),
				planned(e, "only if it is ours", e.Auth.DeleteClientRequest(id)),
			},
			run: func(ctx context.Context, e *Env) (string, error) { return undoClient(ctx, e, id) }})
	}
	// It is the entry undoClient reads as the proof (Env.Output).
	acct := KeyringAccount(e.In, OutClientSecret)
	if acct == "" {
		acct = secrets.Account(st.ccLower(), secrets.ClientSecret)
	}
	if storedHere(st, OutClientSecret, acct) {
		out = append(out, keyringUndo(IDAuthClient, acct, IDAuthClient, IDRegisterGWS))
	}
	return out
}

// undoClient deletes the Auth client the state names, once it is proven
// ours: it exists and accepts the client secret in the keyring (a
// client_credentials token). A client the keyring's secret does not open
// may be someone else's of the same id: it is left alone.
func undoClient(ctx context.Context, e *Env, id string) (string, error) {
	if why := badClientID(id); why != "" {
		return "", fmt.Errorf("the state names the Auth client %q, which %s: nothing was deleted", clip(id), why)
	}
	if _, err := e.Auth.GetClient(ctx, id); errors.Is(err, gws.ErrNotFound) {
		return "already gone", nil
	} else if err != nil {
		return "", err
	}
	secret, ok, err := e.Output(ctx, OutClientSecret)
	if err != nil {
		return "", err
	}
	if !ok {
		return "left alone: the keyring holds no client secret, so nothing proves client " + id + " is the one this tool created; delete it in GWS if it is", nil
	}
	if _, err := e.Auth.ClientCredentialsToken(ctx, id, secret); err != nil {
		if refused(err) {
			return "left alone: client " + id + " does not accept the client secret in the keyring, so it is not (or no longer) the one this tool created; delete it in GWS if it must go", nil
		}
		return "", err
	}
	if err := e.Auth.DeleteClient(ctx, id); err != nil {
		if errors.Is(err, gws.ErrNotFound) {
			return "already gone", nil
		}
		return "", err
	}
	return "deleted client " + id, nil
}
