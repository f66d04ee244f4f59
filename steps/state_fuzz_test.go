package steps_test

// Fuzz targets for the state file, which is untrusted input: any bytes
// under a contact center's name either load into a state whose every record
// is usable, or are refused with a *steps.StateError; and reset's plan from
// any state that loads names exactly one object per request. `bash .ci/fuzz`
// runs each for a bounded time; the seeds run as plain tests.

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

var stSeeds = []string{
	``, `null`, `{}`, `[]`, `"x"`, `{`, `{"version":1}`,
	`{"version":1,"cc_id":"` + stCC + `"}`,
	`{"version":1,"cc_id":"` + stCCUpper + `","inputs":{"cc_id":"` + stCCUpper + `"}}`,
	`{"version":1,"cc_id":"` + stCCOther + `"}`,
	`{"version":2,"cc_id":"` + stCC + `"}`,
	`{"version":1,"cc_id":"` + stCC + `","steps":{"tenant":null,"designer-env":null,"ucs-service":null}}`,
	`{"version":1,"cc_id":"` + stCC + `","steps":{"auth-client":{"id":"tenant","status":"done"},"ucs-service":{"id":"ucs-service","status":"done"},"designer-env":{"id":"designer-env","status":"manual"}}}`,
	`{"version":1,"cc_id":"` + stCC + `","steps":{"x":{"id":"x","status":"running"},"":{"id":"","status":"done"}}}`,
	`{"version":1,"cc_id":"` + stCC + `","created":{"auth_client":"nexus_client","gapi_row":"https://gws.example.com nexus_client","chat_service_uri":"https://nexus.example.com","tenant":"` + stCC + `"}}`,
	`{"version":1,"cc_id":"` + stCC + `","created":{"auth_client":".."}}`,
	`{"version":1,"cc_id":"` + stCC + `","created":{"auth_client":""}}`,
	`{"version":1,"cc_id":"` + stCC + `","created":{"gapi_row":"https://gws.example.com/a b c"}}`,
	`{"version":1,"cc_id":"` + stCC + `","created":{"chat_service_uri":"\u001b[2J"}}`,
	`{"version":1,"cc_id":"` + stCC + `","intents":{"auth-client":{"auth_client":"nexus_client"},"tenant":null}}`,
	`{"version":1,"cc_id":"` + stCC + `","inputs":{"gws_admin_password":"x","cc_id":"` + stCCOther + `"}}`,
	`{"version":1,"cc_id":"` + stCC + `","steps":{"tenant":{"id":"tenant","status":"done","outputs":null,"transcript":[{}]}}}`,
}

// stAccepted asserts what any state Load returns holds.
func stAccepted(t *testing.T, st *steps.State, cc string) {
	t.Helper()
	if st == nil || st.CCID != cc || st.Steps == nil || st.Created == nil || st.Inputs == nil {
		t.Fatalf("loaded state %+v for %s", st, cc)
	}
	known := map[steps.Status]bool{steps.StatusDone: true, steps.StatusAlreadyDone: true, steps.StatusSkipped: true,
		steps.StatusManual: true, steps.StatusFailed: true, steps.StatusNotRun: true}
	for id, r := range st.Steps {
		if r == nil || r.ID != id || !stWellFormedStepID.MatchString(id) || !known[r.Status] {
			t.Errorf("record %q: %+v", id, r)
		}
	}
	for k, v := range st.Created {
		if v == "" || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			t.Errorf("created %s = %q", k, v)
		}
	}
	if v, ok := st.Created[steps.CreatedAuthClient]; ok && (v == "." || v == ".." || strings.ContainsAny(v, `/\?#% `)) {
		t.Errorf("auth client %q", v)
	}
	for step, m := range st.Intents {
		if m == nil {
			t.Errorf("null intent %q", step)
		}
	}
	if v, ok := st.Inputs[steps.KeyCCID]; ok && v != cc {
		t.Errorf("saved cc_id %q in the state of %s", v, cc)
	}
}

// stWellFormedStepID: the ids of the procedure, and those a custom step or a
// newer version may have written (kept, inert).
var stWellFormedStepID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// stLoadFuzzed writes data as the state of cc (under an upper-case name when
// upper) in a fresh directory and loads it.
func stLoadFuzzed(t *testing.T, base string, data []byte, upper bool) (*steps.State, error) {
	t.Helper()
	dir, err := os.MkdirTemp(base, "s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	name := stCC
	if upper {
		name = stCCUpper
	}
	if err := os.WriteFile(filepath.Join(dir, name+".json"), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return steps.Store{Dir: dir}.Load(stCC)
}

func FuzzStateLoad(f *testing.F) {
	for _, s := range stSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, upper bool) {
		st, err := stLoadFuzzed(t, base, data, upper)
		if err != nil {
			var se *steps.StateError
			if !errors.As(err, &se) || se.Reason == "" || se.Path == "" {
				t.Fatalf("refusal is not a *StateError naming the file: %v", err)
			}
			return
		}
		stAccepted(t, st, stCC)
	})
}

// stNamesOneObject asserts a planned request URL names exactly one
// object: no empty, "." or ".." segment (escaped or not), no separator
// inside a segment, and no trailing slash on a DELETE.
func stNamesOneObject(t *testing.T, p steps.Planned) {
	t.Helper()
	if p.URL == "" {
		return // SQL or a note
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		t.Fatalf("planned URL %q does not parse: %v", p.URL, err)
	}
	if p.Method == http.MethodDelete && strings.HasSuffix(u.EscapedPath(), "/") {
		t.Errorf("DELETE of a collection: %s", p.URL)
	}
	segs := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	for _, seg := range segs {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			t.Errorf("segment %q of %s does not decode", seg, p.URL)
			continue
		}
		if dec == "" || dec == "." || dec == ".." || strings.ContainsAny(dec, `/\`) {
			t.Errorf("segment %q of %s %s names no single object", dec, p.Method, p.URL)
		}
	}
}

func FuzzResetPlan(f *testing.F) {
	for _, s := range stSeeds {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(0xff))
	}
	base := f.TempDir()
	resettable := []string{steps.IDDesignerEnv, steps.IDTenant, steps.IDUCSService, steps.IDChatServiceURI, steps.IDRegisterGWS, steps.IDAuthClient}
	f.Fuzz(func(t *testing.T, data []byte, onlyMask uint8) {
		st, err := stLoadFuzzed(t, base, data, false)
		if err != nil {
			return
		}
		var only []string
		for i, id := range resettable {
			if onlyMask&(1<<i) != 0 && onlyMask != 0xff {
				only = append(only, id)
			}
		}
		e := stEnv(t, "https://auth.example.com/base", nil)
		plan, err := steps.ResetPlan(e, st, only)
		if err != nil {
			var se *steps.StateError
			if !errors.As(err, &se) {
				t.Fatalf("ResetPlan of a loaded state: %v", err)
			}
			return
		}
		for _, u := range plan {
			if u.Step == "" || u.What == "" {
				t.Errorf("undo without a step or a description: %+v", u)
			}
			for _, p := range u.Plan {
				stNamesOneObject(t, p)
			}
		}
	})
}
