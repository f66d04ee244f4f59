package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/nexusdb"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
)

// Undo is one thing reset removes (or, for what has no API, tells the user
// to remove). Reset only ever lists what the state says this tool created.
type Undo struct {
	Step   string   // the step whose work it undoes
	What   string   // one line for people
	Manual bool     // no API: the user does it; reset only says how
	Shared bool     // left alone: other contact centers use it (KeepShared)
	Needs  []string // input keys it needs
	Plan   []Planned
	run    func(ctx context.Context, e *Env) (string, error)
	// keepFor: skip (keep the entry) when the undo of one of these steps failed.
	keepFor []string
}

// phKeyringSecret stands for the client secret read from the keyring.
const phKeyringSecret = "<client secret from the keyring>"

// UndoResult is what one Undo did.
type UndoResult struct {
	Undo   Undo
	Status Status // done, skipped (nothing left to remove), manual, failed
	Note   string
	Error  string
}

// resettable lists the steps reset knows, in the order it undoes them.
var resettable = []string{IDDesignerEnv, IDTenant, IDUCSService, IDChatServiceURI, IDRegisterGWS, IDAuthClient}

// ResetPlan lists what reset would remove for the state of a contact
// center. only limits it to some steps; nil means everything, plus the
// state file itself.
func ResetPlan(e *Env, st *State, only []string) ([]Undo, error) {
	for _, id := range only {
		if !slices.Contains(resettable, id) {
			return nil, fmt.Errorf("reset knows no step %q (it can undo: %s)", id, strings.Join(resettable, ", "))
		}
	}
	// Reset deletes what the state names: the same checks as Load, so
	// that a state built or changed in memory cannot make it build a
	// request for another object (or for a collection).
	if reason := refuseReason(st, st.CCID, ""); reason != "" {
		return nil, &StateError{Reason: reason}
	}
	want := func(id string) bool { return len(only) == 0 || slices.Contains(only, id) }
	cc := strings.ToLower(st.CCID)
	var out []Undo
	ran := func(id string) bool {
		r := st.Steps[id]
		return r != nil && (r.Status == StatusManual || r.Status == StatusDone || r.Status == StatusAlreadyDone)
	}
	if want(IDDesignerEnv) && ran(IDDesignerEnv) {
		out = append(out, Undo{Step: IDDesignerEnv, Manual: true,
			What: "if you entered them: remove baseurl, password and url from the DesignerEnv transaction in Agent Setup"})
	}
	if want(IDTenant) {
		if id, ok := st.Created[CreatedTenant]; ok {
			out = append(out, Undo{Step: IDTenant, Manual: true,
				What: fmt.Sprintf("Digital Channels documents no API to delete a tenant: ask its administrator to remove tenant %s (%s)", id, e.In.Get(KeyTenantName))})
		}
		if acct := secrets.Account(cc, secrets.NexusAPIKey); storedHere(st, OutAPIKey, acct) {
			out = append(out, keyringUndo(IDTenant, acct, IDTenant))
		}
	}
	if want(IDUCSService) && ran(IDUCSService) && st.Steps[IDUCSService].Status == StatusDone {
		out = append(out, Undo{Step: IDUCSService, Manual: true,
			What: "no documented API removes the PlatformUCS service: ask the Digital Channels administrator if it must go"})
	}
	if want(IDChatServiceURI) {
		if v, ok := st.Created[CreatedSetting]; ok {
			out = append(out, Undo{Step: IDChatServiceURI, Needs: opsNeeds,
				What: fmt.Sprintf("delete the contact center setting chat-service-uri, if it still is %s", v),
				Plan: []Planned{
					planned(e, "find the setting", e.Auth.SettingsRequest(cc)),
					planned(e, "only if its value is still ours", e.Auth.DeleteSettingRequest(cc, "<setting id>")),
				},
				run: func(ctx context.Context, e *Env) (string, error) { return undoSetting(ctx, e, cc, v) }})
		}
	}
	if want(IDRegisterGWS) {
		if row, ok := st.Created[CreatedGapiRow]; ok {
			// The client id holds no space (badClientID); the URL may.
			i := strings.LastIndexByte(row, ' ')
			url, id := row[:i], row[i+1:]
			u := Undo{Step: IDRegisterGWS, What: fmt.Sprintf("delete the nex_gapis row for %s / %s, if it still holds our secret", url, id)}
			if e.In.Get(KeyDBURL) == "" {
				u.Manual = true
				u.What = "db_url is not set: run with psql: " + manualDelete(url, id)
			} else {
				u.Needs = []string{KeyDBURL}
				u.Plan = []Planned{{Note: "in one statement, bound parameters", SQL: manualDelete(url, id) + " -- only rows whose clientsecret is the one in the keyring"}}
				u.run = func(ctx context.Context, e *Env) (string, error) { return undoGapi(ctx, e, url, id) }
			}
			out = append(out, u)
		}
	}
	if want(IDAuthClient) {
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
		// The client secret proves the client and the nex_gapis row are
		// ours: it stays while either could not be removed.
		// It is the entry undoClient read as the proof (Env.Output).
		acct := KeyringAccount(e.In, OutClientSecret)
		if acct == "" {
			acct = secrets.Account(cc, secrets.ClientSecret)
		}
		if storedHere(st, OutClientSecret, acct) {
			out = append(out, keyringUndo(IDAuthClient, acct, IDAuthClient, IDRegisterGWS))
		}
	}
	return out, nil
}

// storedHere reports whether the state says this tool stored the secret
// output name under acct: its origin record, or, in a state written before
// origins were recorded, the record that the tool created what it belongs
// to. A keyring entry the state does not vouch for is never deleted: it
// may be another environment's, or another contact center's in use.
func storedHere(st *State, name, acct string) bool {
	if o, ok := st.Secrets[name]; ok {
		return o.Account == acct
	}
	switch name {
	case OutAPIKey:
		_, ok := st.Created[CreatedTenant]
		return ok
	case OutClientSecret:
		_, ok := st.Created[CreatedAuthClient]
		return ok
	}
	return false
}

// keyringUndo deletes a keyring entry, unless the undo of one of the steps
// in keepFor failed: those still need it to prove what is theirs.
func keyringUndo(step, acct string, keepFor ...string) Undo {
	return Undo{Step: step, What: fmt.Sprintf("delete keyring entry %s / %s", secrets.Service, acct), keepFor: keepFor,
		run: func(ctx context.Context, e *Env) (string, error) {
			err := e.Keyring.Delete(ctx, acct)
			if errors.Is(err, secrets.ErrNotFound) {
				return "not in the keyring", nil
			}
			if err != nil {
				return "", err
			}
			return "deleted " + acct, nil
		}}
}

func manualDelete(url, id string) string {
	return fmt.Sprintf("DELETE FROM %s WHERE url = '%s' AND clientid = '%s';", nexusdb.Table, strings.ReplaceAll(url, "'", "''"), strings.ReplaceAll(id, "'", "''"))
}

func undoSetting(ctx context.Context, e *Env, cc, ours string) (string, error) {
	set, err := e.Auth.Settings(ctx, cc)
	if err != nil {
		return "", err
	}
	for _, s := range set {
		if s.Name != chatSettingName {
			continue
		}
		if s.Value != ours {
			return "left alone: chat-service-uri is now " + s.Value + ", not the value this tool set", nil
		}
		// An empty id would make the DELETE one of the collection.
		if why := badSegmentID(s.ID); why != "" {
			return "", fmt.Errorf("the contact center lists chat-service-uri with an id that %s, which cannot name that one setting: nothing was deleted; remove the setting in GWS if it must go", why)
		}
		if err := e.Auth.DeleteSetting(ctx, cc, s.ID); err != nil && !errors.Is(err, gws.ErrNotFound) {
			return "", err
		}
		return "deleted chat-service-uri", nil
	}
	return "already gone", nil
}

// badSegmentID says why an id from a server cannot be sent as exactly one
// URL path segment, or "".
func badSegmentID(id string) string {
	switch {
	case id == "":
		return "is empty"
	case id == "." || id == "..":
		return "is a relative path segment (" + id + ")"
	case strings.ContainsAny(id, `/\`):
		return "holds a path separator"
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return "holds control characters"
	}
	return ""
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

func undoGapi(ctx context.Context, e *Env, url, id string) (string, error) {
	secret, ok, err := e.Output(ctx, OutClientSecret)
	if err != nil {
		return "", err
	}
	db, err := e.database(ctx)
	if err != nil {
		return "", err
	}
	rows, err := db.FindGapis(ctx, url, id)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "already gone", nil
	}
	for _, r := range rows {
		if !ok || r.ClientSecret != secret {
			return "left alone: the row holds a secret this tool does not know (rotated or made by someone else)", nil
		}
	}
	n, err := db.DeleteGapis(ctx, url, id)
	if err != nil {
		return "", err
	}
	return "deleted " + Plural(int(n), "row"), nil
}

// Reset carries out the plan in order. Failures are recorded and the rest
// still runs (each item is independent); the state forgets what was
// removed, and is deleted when everything was reset.
func Reset(ctx context.Context, e *Env, store Store, st *State, plan []Undo, all bool) ([]UndoResult, error) {
	var results []UndoResult
	failed := map[string]bool{}
	for _, u := range plan {
		res := UndoResult{Undo: u}
		switch {
		case u.Manual:
			res.Status = StatusManual
			res.Note = u.What
		case u.run == nil:
			res.Status = StatusSkipped
		case slices.ContainsFunc(u.keepFor, func(id string) bool { return failed[id] }):
			res.Status = StatusSkipped
			res.Note = "kept: it proves what the failed item(s) above may still have to remove; run reset again once they are fixed"
			failed[u.Step] = true
		default:
			note, err := u.run(ctx, e)
			if err != nil {
				res.Status = StatusFailed
				res.Error = e.Redactor.Error(err)
				failed[u.Step] = true
			} else {
				res.Status = StatusDone
				res.Note = e.Redactor.String(note)
			}
		}
		results = append(results, res)
	}
	for _, u := range plan {
		if failed[u.Step] {
			continue
		}
		delete(st.Steps, u.Step)
		switch u.Step {
		case IDAuthClient:
			delete(st.Created, CreatedAuthClient)
			delete(st.Steps, IDVerifyClient)
			delete(st.Secrets, OutClientSecret)
		case IDRegisterGWS:
			delete(st.Created, CreatedGapiRow)
		case IDChatServiceURI:
			delete(st.Created, CreatedSetting)
		case IDTenant:
			delete(st.Created, CreatedTenant)
			delete(st.Secrets, OutAPIKey)
		}
	}
	if all && len(failed) == 0 {
		return results, store.Delete(st.CCID)
	}
	return results, store.Save(st)
}

// ResetRequired lists the input keys a reset plan needs.
func ResetRequired(plan []Undo) []string {
	var keys []string
	for _, u := range plan {
		keys = append(keys, u.Needs...)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// SharedWith lists the other contact centers of this store whose last run
// used the same environment's Auth client (same auth_url and client_id)
// and found it in place: the client, its secret and the nex_gapis row are
// theirs too.
func SharedWith(store Store, st *State, in Values) []string {
	var out []string
	for _, cc := range store.List() {
		if cc == st.CCID {
			continue
		}
		other, err := store.Load(cc)
		if err != nil {
			continue
		}
		rec := other.Steps[IDAuthClient]
		if rec != nil && rec.Status.OK() && other.Inputs[KeyAuthURL] == in.Get(KeyAuthURL) && other.Inputs[KeyClientID] == in.Get(KeyClientID) {
			out = append(out, cc)
		}
	}
	return out
}

// KeepShared turns the plan's undo of environment-wide work (steps marked
// Environment) into notes that leave it alone while the contact centers in
// shared still use it.
func KeepShared(plan []Undo, shared []string) []Undo {
	if len(shared) == 0 {
		return plan
	}
	out := make([]Undo, 0, len(plan))
	for _, u := range plan {
		if st, ok := Lookup(u.Step); ok && st.Environment {
			if n := len(out); n > 0 && out[n-1].Shared && out[n-1].Step == u.Step {
				continue // one note per step
			}
			u = Undo{Step: u.Step, Manual: true, Shared: true,
				What: fmt.Sprintf("left alone: it belongs to the environment and other contact centers (%s) use it too; reset them first, then run reset --only %s", strings.Join(shared, ", "), u.Step)}
		}
		out = append(out, u)
	}
	return out
}
