package steps

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode"

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

// ResetPlan lists what reset would remove for the state of a contact
// center: each step's undo, the steps in reverse order. only limits it to
// some steps; nil means everything, plus the state file itself.
func ResetPlan(e *Env, st *State, only []string) ([]Undo, error) {
	resettable := Resettable()
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
	// A write in flight when a run stopped (its intent saved, its answer
	// or the save after it lost) may have created its object: reset
	// treats the intent as a record of what the tool created. Every undo
	// proves the object is the tool's before it removes anything.
	view := *st
	view.Created = map[string]string{}
	for _, m := range st.Intents {
		maps.Copy(view.Created, m)
	}
	maps.Copy(view.Created, st.Created)
	var out []Undo
	for _, step := range slices.Backward(All) {
		if len(only) == 0 || slices.Contains(only, step.ID) {
			out = append(out, step.behaviour().undo(e, &view)...)
		}
	}
	return out, nil
}

// ccLower is the state's contact center id as keyring accounts spell it.
func (st *State) ccLower() string { return strings.ToLower(st.CCID) }

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
		if !failed[u.Step] {
			forget(st, u.Step)
		}
	}
	if all && len(failed) == 0 {
		return results, store.Delete(st.CCID)
	}
	return results, store.Save(st)
}

// forget drops from the state what an undone step made: its record, its
// Created records and the origins of the secrets it made, and the records
// of the read-only steps that read those secrets (verify-client's proof is
// gone with the client).
func forget(st *State, id string) {
	delete(st.Steps, id)
	delete(st.Intents, id)
	step, ok := Lookup(id)
	if !ok {
		return
	}
	for _, k := range step.Creates {
		delete(st.Created, k)
	}
	for _, o := range step.Makes {
		if o.Where != InKeyring {
			continue
		}
		delete(st.Secrets, o.Name)
		for _, reader := range All {
			if reader.ReadOnly && slices.Contains(reader.Uses, o.Name) {
				delete(st.Steps, reader.ID)
			}
		}
	}
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
