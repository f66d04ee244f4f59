package steps

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	Needs  []string // input keys it needs
	Plan   []Planned
	run    func(ctx context.Context, e *Env) (string, error)
}

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
	want := func(id string) bool { return len(only) == 0 || slices.Contains(only, id) }
	cc := st.CCID
	var out []Undo
	ran := func(id string) bool {
		r, ok := st.Steps[id]
		return ok && (r.Status == StatusManual || r.Status == StatusDone || r.Status == StatusAlreadyDone)
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
		out = append(out, keyringUndo(IDTenant, cc, secrets.NexusAPIKey))
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
			url, id, _ := strings.Cut(row, " ")
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
				What: "delete the Auth client " + id,
				Plan: []Planned{planned(e, "", e.Auth.DeleteClientRequest(id))},
				run: func(ctx context.Context, e *Env) (string, error) {
					err := e.Auth.DeleteClient(ctx, id)
					if errors.Is(err, gws.ErrNotFound) {
						return "already gone", nil
					}
					if err != nil {
						return "", err
					}
					return "deleted client " + id, nil
				}})
		}
		out = append(out, keyringUndo(IDAuthClient, cc, secrets.ClientSecret))
	}
	return out, nil
}

func keyringUndo(step, cc, name string) Undo {
	acct := secrets.Account(cc, name)
	return Undo{Step: step, What: fmt.Sprintf("delete keyring entry %s / %s", secrets.Service, acct),
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
		if err := e.Auth.DeleteSetting(ctx, cc, s.ID); err != nil && !errors.Is(err, gws.ErrNotFound) {
			return "", err
		}
		return "deleted chat-service-uri", nil
	}
	return "already gone", nil
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
	return fmt.Sprintf("deleted %d row(s)", n), nil
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
		case IDRegisterGWS:
			delete(st.Created, CreatedGapiRow)
		case IDChatServiceURI:
			delete(st.Created, CreatedSetting)
		case IDTenant:
			delete(st.Created, CreatedTenant)
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
