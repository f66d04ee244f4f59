package steps_test

// The state file is untrusted input: damaged, hand-edited, copied from
// another contact center, written by an older version under an upper-case
// name, or planted in a directory others can write. Load refuses what reset
// or a resumed run would act on wrongly (a *steps.StateError), drops what is
// only noise, and reset proves what it deletes is ours. These tests need no
// keyring and no PostgreSQL: a stub Auth server and an in-memory keyring.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

const (
	stCC      = "578ec98e-f07c-46ad-9675-f36c22f3ba9f"
	stCCUpper = "578EC98E-F07C-46AD-9675-F36C22F3BA9F"
	stCCOther = "11111111-2222-4333-8444-555555555555"
)

// stWriteFile writes raw state JSON as <dir>/<name>.json.
func stWriteFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name+".json")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// stJSON is a state file's text with the given fields over a valid base.
func stJSON(t *testing.T, cc string, fields map[string]any) string {
	t.Helper()
	doc := map[string]any{"version": 1, "cc_id": cc, "inputs": map[string]string{"cc_id": cc},
		"steps":   map[string]any{"auth-client": map[string]any{"id": "auth-client", "status": "done"}},
		"created": map[string]string{"auth_client": "nexus_client"}}
	for k, v := range fields {
		doc[k] = v
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func stAsError(t *testing.T, err error) *steps.StateError {
	t.Helper()
	var se *steps.StateError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a *steps.StateError", err, err)
	}
	return se
}

// --- 1. one contact center, one identity, whatever the case ---------------

func TestUpperCaseCCIDIsCanonical(t *testing.T) {
	vs := steps.NewValues()
	vs.Set(steps.KeyCCID, stCCUpper, steps.FromFlag)
	if got := vs.Get(steps.KeyCCID); got != stCC {
		t.Errorf("Set(cc_id, upper) = %q, want %q", got, stCC)
	}
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("cc_id: "+stCCUpper+"\n"), 0o600)
	for name, src := range map[string]steps.Sources{
		"config": {ConfigPath: cfg},
		"env":    {Environ: []string{"NEXUS_ONBOARD_CC_ID= " + stCCUpper + " "}},
		"flag":   {Flags: map[string]string{steps.KeyCCID: stCCUpper + "\n"}},
		"saved":  {Saved: map[string]string{steps.KeyCCID: stCCUpper}},
	} {
		vs, _, ps := steps.Load(src)
		if got := vs.Get(steps.KeyCCID); got != stCC || len(ps) > 0 {
			t.Errorf("%s: cc_id %q (problems %v), want %q", name, got, ps, stCC)
		}
	}
	s := steps.Store{Dir: t.TempDir()}
	if s.Path(stCCUpper) != filepath.Join(s.Dir, stCC+".json") {
		t.Errorf("Path(upper) = %s", s.Path(stCCUpper))
	}
	unlock, err := s.Lock(stCCUpper)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := s.Lock(stCC); !errors.Is(err, steps.ErrLocked) {
		t.Errorf("the lower-case id is not locked by the upper-case one: %v", err)
	}
	st := steps.NewState(stCCUpper)
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	if s.Last() != stCC || !slices.Equal(s.List(), []string{stCC}) {
		t.Errorf("last %q list %v", s.Last(), s.List())
	}
}

// A state file an older version wrote under the upper-case id is found and
// renamed (the content is ours: its cc_id is equal but for case), with a
// note; it is not shadowed by a second, empty state.
func TestUpperCaseStateFileIsRenamed(t *testing.T) {
	dir := t.TempDir()
	old := stWriteFile(t, dir, stCCUpper, stJSON(t, stCCUpper, map[string]any{"inputs": map[string]string{"cc_id": stCCUpper, "tenant_name": "t1"}}))
	s := steps.Store{Dir: dir}
	st, err := s.Load(stCC)
	if err != nil {
		t.Fatal(err)
	}
	if st.CCID != stCC || st.Created[steps.CreatedAuthClient] != "nexus_client" || st.Inputs[steps.KeyCCID] != stCC || st.Inputs[steps.KeyTenantName] != "t1" {
		t.Errorf("state not carried over: %+v", st)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("old name still there: %v", err)
	}
	if _, err := os.Stat(s.Path(stCC)); err != nil {
		t.Errorf("new name missing: %v", err)
	}
	if note := strings.Join(st.Notes, "\n"); !strings.Contains(note, old) || !strings.Contains(note, s.Path(stCC)) {
		t.Errorf("no note naming both files: %q", st.Notes)
	}
	// A second load finds it under its new name, with no note.
	if st, err := s.Load(stCCUpper); err != nil || len(st.Notes) != 0 || st.Created[steps.CreatedAuthClient] != "nexus_client" {
		t.Errorf("reload: %v %v", err, st)
	}
}

func TestUpperCaseStateFileOfAnotherCCOrTwiceIsRefused(t *testing.T) {
	dir := t.TempDir()
	old := stWriteFile(t, dir, stCCUpper, stJSON(t, stCCOther, nil))
	_, err := steps.Store{Dir: dir}.Load(stCC)
	se := stAsError(t, err)
	if se.Path != old || !strings.Contains(se.Error(), stCCOther) {
		t.Errorf("refusal does not name the file and the other contact center: %v", err)
	}
	if _, err := os.Stat(old); err != nil {
		t.Errorf("a refused file was moved: %v", err)
	}

	dir = t.TempDir()
	a := stWriteFile(t, dir, stCCUpper, stJSON(t, stCCUpper, nil))
	b := stWriteFile(t, dir, "578ec98e-F07C-46ad-9675-f36c22f3ba9f", stJSON(t, stCC, nil))
	_, err = steps.Store{Dir: dir}.Load(stCC)
	if se := stAsError(t, err); !strings.Contains(se.Error(), a) || !strings.Contains(se.Error(), b) {
		t.Errorf("refusal does not name both files: %v", err)
	}
}

// --- 2a. every field of the state is checked --------------------------------

// Harmless noise is dropped (with a note), never dereferenced.
func TestUnusableStepRecordsAreDropped(t *testing.T) {
	dir := t.TempDir()
	stWriteFile(t, dir, stCC, stJSON(t, stCC, map[string]any{
		"steps": map[string]any{
			"tenant":         nil,
			"designer-env":   nil,
			"ucs-service":    nil,
			"auth-client":    map[string]any{"id": "tenant", "status": "done"},
			"verify-client":  map[string]any{"id": "verify-client", "status": "running"},
			"register-gws":   map[string]any{"id": "register-gws", "status": "done"},
			"Bad Id\x1b[2J":  map[string]any{"id": "Bad Id\x1b[2J", "status": "done"},
			"contact-center": map[string]any{"id": "contact-center", "status": "already-done"},
		},
		"inputs":  map[string]string{"cc_id": stCC, "gws_admin_password": "pw", "bogus": "x", "tenant_name": "a\nb", "tenant_user": "nexus"},
		"intents": map[string]any{"tenant": nil},
	}))
	st, err := steps.Store{Dir: dir}.Load(stCC)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id, r := range st.Steps {
		if r == nil || r.ID != id {
			t.Errorf("record %q: %+v", id, r)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"contact-center", "register-gws"}) {
		t.Errorf("kept %v", ids)
	}
	if len(st.Inputs) != 2 || st.Inputs["tenant_user"] != "nexus" {
		t.Errorf("inputs %v", st.Inputs)
	}
	if len(st.Intents) != 0 || len(st.Notes) == 0 {
		t.Errorf("intents %v notes %v", st.Intents, st.Notes)
	}
	// Reset plans from it without a nil dereference.
	e := stEnv(t, "https://auth.example.com", nil)
	if _, err := steps.ResetPlan(e, st, nil); err != nil {
		t.Fatal(err)
	}
}

// A null record made reset panic: ResetPlan on any state Load yields is safe.
func TestNullRecordsDoNotPanicReset(t *testing.T) {
	dir := t.TempDir()
	stWriteFile(t, dir, stCC, `{"version":1,"cc_id":"`+stCC+`","steps":{"designer-env":null,"ucs-service":null,"tenant":null},"created":{"tenant":"`+stCC+`"}}`)
	st, err := steps.Store{Dir: dir}.Load(stCC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := steps.ResetPlan(stEnv(t, "https://auth.example.com", nil), st, nil); err != nil {
		t.Fatal(err)
	}
	// And a state built in memory (not through Load) neither.
	st = steps.NewState(stCC)
	st.Steps[steps.IDDesignerEnv] = nil
	st.Steps[steps.IDUCSService] = nil
	if _, err := steps.ResetPlan(stEnv(t, "https://auth.example.com", nil), st, nil); err != nil {
		t.Fatal(err)
	}
}

// What reset or a resumed run act on is refused when damaged: a
// *StateError naming the file.
func TestDamagingRecordsAreRefused(t *testing.T) {
	for name, fields := range map[string]map[string]any{
		"auth client empty":          {"created": map[string]string{"auth_client": ""}},
		"auth client dot":            {"created": map[string]string{"auth_client": "."}},
		"auth client dotdot":         {"created": map[string]string{"auth_client": ".."}},
		"auth client slash":          {"created": map[string]string{"auth_client": "a/../b"}},
		"auth client escape":         {"created": map[string]string{"auth_client": "x\x1b[2J"}},
		"gapi row without id":        {"created": map[string]string{"gapi_row": "https://gws.example.com"}},
		"gapi row with dotdot":       {"created": map[string]string{"gapi_row": "https://gws.example.com .."}},
		"setting empty":              {"created": map[string]string{"chat_service_uri": ""}},
		"setting newline":            {"created": map[string]string{"chat_service_uri": "https://n\nx"}},
		"tenant of another cc":       {"created": map[string]string{"tenant": stCCOther}},
		"created key malformed":      {"created": map[string]string{"Auth Client": "x"}},
		"intent value empty":         {"intents": map[string]any{"auth-client": map[string]string{"auth_client": ""}}},
		"intent value control":       {"intents": map[string]any{"tenant": map[string]string{"tenant": stCC + "\x00"}}},
		"saved inputs of other cc":   {"inputs": map[string]string{"cc_id": stCCOther}},
		"content of other cc":        {"cc_id": stCCOther},
		"content without cc":         {"cc_id": ""},
		"unknown version":            {"version": 2},
		"version zero":               {"version": 0},
		"not json":                   nil,
		"steps not an object":        {"steps": []int{1}},
		"record status not a string": {"steps": map[string]any{"tenant": map[string]any{"id": "tenant", "status": 7}}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			content := "{not json"
			if fields != nil {
				content = stJSON(t, stCC, fields)
			}
			p := stWriteFile(t, dir, stCC, content)
			st, err := steps.Store{Dir: dir}.Load(stCC)
			if err == nil {
				t.Fatalf("loaded: %+v", st)
			}
			if se := stAsError(t, err); se.Path != p || se.Reason == "" {
				t.Errorf("refusal %q does not name %s", err, p)
			}
		})
	}
}

// The content must be the state of the contact center its name says: a
// file named for A holding B's state made run overwrite it and reset delete
// B's client and keyring entries.
func TestStateOfAnotherContactCenterIsRefused(t *testing.T) {
	dir := t.TempDir()
	p := stWriteFile(t, dir, stCC, stJSON(t, stCCOther, map[string]any{"inputs": map[string]string{"cc_id": stCCOther}}))
	_, err := steps.Store{Dir: dir}.Load(stCC)
	se := stAsError(t, err)
	msg := se.Error()
	for _, want := range []string{p, stCC, stCCOther, "mv "} {
		if !strings.Contains(msg, want) {
			t.Errorf("refusal lacks %q: %s", want, msg)
		}
	}
	// Equal but for case is the same contact center.
	stWriteFile(t, dir, stCC, stJSON(t, stCCUpper, map[string]any{"inputs": map[string]string{"cc_id": stCCUpper}, "created": map[string]string{"tenant": stCCUpper}}))
	st, err := steps.Store{Dir: dir}.Load(stCC)
	if err != nil || st.CCID != stCC || st.Inputs["cc_id"] != stCC || st.Created["tenant"] != stCC {
		t.Errorf("same cc in upper case: %v %+v", err, st)
	}
}

// --- 2d. the state directory ------------------------------------------------

func TestLooseStateDirOfOursIsTightened(t *testing.T) {
	if os.PathSeparator != '/' {
		t.Skip("unix permissions")
	}
	dir := filepath.Join(t.TempDir(), "state")
	stWriteFile(t, dir, stCC, stJSON(t, stCC, nil))
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	st, err := steps.Store{Dir: dir}.Load(stCC)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode %04o, want 0700", fi.Mode().Perm())
	}
	if !strings.Contains(strings.Join(st.Notes, "\n"), "0777") {
		t.Errorf("no note says the directory was tightened: %q", st.Notes)
	}
}

func TestLooseStateDirOfAnotherUserIsRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give a directory to another user")
	}
	dir := filepath.Join(t.TempDir(), "shared")
	stWriteFile(t, dir, stCC, stJSON(t, stCC, nil))
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Skip(err)
	}
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	s := steps.Store{Dir: dir}
	if _, err := s.Load(stCC); stAsError(t, err).Path != dir {
		t.Errorf("refusal does not name the directory: %v", err)
	}
	if _, err := s.Lock(stCC); err == nil {
		t.Error("Lock accepted the directory")
	} else {
		stAsError(t, err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o777 {
		t.Errorf("another user's directory was changed: %04o", fi.Mode().Perm())
	}
	// A state file planted by another user in a directory of ours.
	own := t.TempDir()
	p := stWriteFile(t, own, stCC, stJSON(t, stCC, nil))
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Skip(err)
	}
	if _, err := (steps.Store{Dir: own}).Load(stCC); stAsError(t, err).Path != p {
		t.Errorf("a file of another user: %v", err)
	}
}

// --- 2c. reset builds no request for a collection and deletes only what it proves ours ---

// stKeyring is an in-memory keyring; any account ending in
// /client_secret answers the client secret.
type stKeyring struct {
	mu      sync.Mutex
	secret  string // "" for none
	deleted []string
}

func (k *stKeyring) Get(_ context.Context, acct string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if strings.HasSuffix(acct, "/"+secrets.ClientSecret) && k.secret != "" {
		return k.secret, nil
	}
	return "", secrets.ErrNotFound
}
func (k *stKeyring) Set(context.Context, string, string) error { return nil }
func (k *stKeyring) Delete(_ context.Context, acct string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deleted = append(k.deleted, acct)
	return nil
}
func (k *stKeyring) Probe(context.Context) error { return nil }

// stAuth is an Auth + Environment API that knows one client (with its
// secret) and lists the given settings.
type stAuth struct {
	*httptest.Server
	mu           sync.Mutex
	clientID     string // "" for none
	clientSecret string
	settings     []map[string]any
	getStatus    int // answer to GET client, when not 0
	reqs         []string
}

func newSTAuth(t *testing.T) *stAuth {
	s := &stAuth{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.reqs = append(s.reqs, r.Method+" "+r.URL.EscapedPath())
		ok := func(data any) {
			json.NewEncoder(w).Encode(map[string]any{"status": map[string]any{"code": 0}, "data": data})
		}
		switch {
		case r.URL.Path == "/auth/v3/oauth/token":
			u, p, _ := r.BasicAuth()
			if s.clientID == "" || u != s.clientID || p != s.clientSecret {
				w.WriteHeader(401)
				fmt.Fprint(w, `{"error":"invalid_client"}`)
				return
			}
			fmt.Fprint(w, `{"access_token":"tok-12345678","token_type":"bearer","expires_in":60}`)
		case strings.HasPrefix(r.URL.Path, "/auth/v3/ops/clients/"):
			id := strings.TrimPrefix(r.URL.Path, "/auth/v3/ops/clients/")
			if s.getStatus != 0 {
				w.WriteHeader(s.getStatus)
				return
			}
			if id != s.clientID || s.clientID == "" {
				w.WriteHeader(404)
				return
			}
			if r.Method == http.MethodDelete {
				s.clientID = ""
			}
			ok(map[string]any{"client_id": id})
		case strings.HasSuffix(r.URL.Path, "/settings") && r.Method == http.MethodGet:
			ok(map[string]any{"settings": s.settings})
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *stAuth) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// stEnv is an Env against authURL with an in-memory keyring.
func stEnv(t *testing.T, authURL string, kr steps.Keyring) *steps.Env {
	t.Helper()
	vs := steps.NewValues()
	for k, v := range map[string]string{
		steps.KeyAuthURL: authURL, steps.KeyNexusURL: "https://nexus.example.com", steps.KeyGWSURL: "https://gws.example.com",
		steps.KeyAdminUser: "ops", steps.KeyAdminPassword: "ops-pass-123", steps.KeyCCID: stCC,
		steps.KeyClientID: "nexus_client", steps.KeyAllowHTTP: "true", steps.KeyTenantName: "t1",
	} {
		vs.Set(k, v, steps.FromFlag)
	}
	if kr == nil {
		kr = &stKeyring{}
	}
	e, err := steps.NewEnv(vs, steps.Options{Keyring: kr, HTTP: httpx.Options{BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// stResetAll loads the state and runs reset --yes on it.
func stResetAll(t *testing.T, e *steps.Env, store steps.Store, only ...string) []steps.UndoResult {
	t.Helper()
	st, err := store.Load(stCC)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := steps.ResetPlan(e, st, only)
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.Reset(context.Background(), e, store, st, plan, len(only) == 0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func stResultOf(rs []steps.UndoResult, step string, keyring bool) steps.UndoResult {
	for _, r := range rs {
		if r.Undo.Step == step && strings.HasPrefix(r.Undo.What, "delete keyring entry") == keyring {
			return r
		}
	}
	return steps.UndoResult{}
}

func TestResetDeletesTheAuthClientOnlyWhenTheKeyringSecretProvesIt(t *testing.T) {
	for _, tt := range []struct {
		name            string
		keyring         string // the secret the keyring holds
		server          string // the secret the client has
		wantDelete      bool
		wantNote        string
		wantKeyringGone bool
	}{
		{"ours", "S3cret-ours-1234", "S3cret-ours-1234", true, "deleted client", true},
		{"another secret", "S3cret-ours-1234", "S3cret-theirs-99", false, "left alone", true},
		{"no secret in the keyring", "", "S3cret-theirs-99", false, "left alone", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSTAuth(t)
			srv.clientID, srv.clientSecret = "nexus_client", tt.server
			kr := &stKeyring{secret: tt.keyring}
			e := stEnv(t, srv.URL, kr)
			store := steps.Store{Dir: t.TempDir()}
			stWriteFile(t, store.Dir, stCC, stJSON(t, stCC, nil))
			res := stResetAll(t, e, store, steps.IDAuthClient)
			r := stResultOf(res, steps.IDAuthClient, false)
			deleted := slices.Contains(srv.requests(), "DELETE /auth/v3/ops/clients/nexus_client")
			if deleted != tt.wantDelete || r.Status != steps.StatusDone || !strings.Contains(r.Note, tt.wantNote) {
				t.Errorf("delete sent %v (want %v); result %s %q %q; requests %v", deleted, tt.wantDelete, r.Status, r.Note, r.Error, srv.requests())
			}
		})
	}
}

// While the client could not be removed, the keyring keeps the secret that
// proves it ours, so that the next reset can still prove it.
func TestResetKeepsTheSecretWhileTheClientRemains(t *testing.T) {
	srv := newSTAuth(t)
	srv.clientID, srv.clientSecret, srv.getStatus = "nexus_client", "S3cret-ours-1234", 403
	kr := &stKeyring{secret: "S3cret-ours-1234"}
	e := stEnv(t, srv.URL, kr)
	store := steps.Store{Dir: t.TempDir()}
	stWriteFile(t, store.Dir, stCC, stJSON(t, stCC, nil))
	res := stResetAll(t, e, store, steps.IDAuthClient)
	if r := stResultOf(res, steps.IDAuthClient, false); r.Status != steps.StatusFailed {
		t.Fatalf("client undo: %+v", r)
	}
	if r := stResultOf(res, steps.IDAuthClient, true); r.Status != steps.StatusSkipped || len(kr.deleted) != 0 {
		t.Errorf("keyring undo %+v; deleted %v", r, kr.deleted)
	}
	st, err := store.Load(stCC)
	if err != nil || st.Created[steps.CreatedAuthClient] != "nexus_client" {
		t.Errorf("the state forgot the client: %v %+v", err, st)
	}
}

// A setting listed without an id (or with "." / "..") is never deleted:
// DELETE …/settings/ would be one of the collection.
func TestResetNeverDeletesASettingWithoutAnID(t *testing.T) {
	for _, id := range []any{"", ".", "..", "a/b", nil} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			srv := newSTAuth(t)
			srv.settings = []map[string]any{{"name": "chat-service-uri", "value": "https://nexus.example.com", "id": id}}
			e := stEnv(t, srv.URL, nil)
			store := steps.Store{Dir: t.TempDir()}
			stWriteFile(t, store.Dir, stCC, stJSON(t, stCC, map[string]any{"created": map[string]string{"chat_service_uri": "https://nexus.example.com"}}))
			res := stResetAll(t, e, store, steps.IDChatServiceURI)
			for _, r := range srv.requests() {
				if strings.HasPrefix(r, "DELETE") {
					t.Errorf("sent %s", r)
				}
			}
			if r := stResultOf(res, steps.IDChatServiceURI, false); r.Status != steps.StatusFailed || r.Error == "" {
				t.Errorf("result %+v", r)
			}
		})
	}
}

// ResetPlan refuses a state built in memory whose records name no single
// object: it never plans DELETE …/clients/.. or …/clients/.
func TestResetPlanRefusesRecordsThatNameNoSingleObject(t *testing.T) {
	for _, id := range []string{"", ".", "..", "a/b", `a\b`} {
		st := steps.NewState(stCC)
		st.Created[steps.CreatedAuthClient] = id
		plan, err := steps.ResetPlan(stEnv(t, "https://auth.example.com", nil), st, nil)
		if err == nil {
			t.Errorf("auth client %q: planned %+v", id, plan)
			continue
		}
		stAsError(t, err)
	}
}

// --- 2e. a refused state is an input error in every command ----------------

// Load's refusals are one typed error, which the CLI maps to exit 2 with
// errors.As (see ui/cli).
func TestStateErrorIsTyped(t *testing.T) {
	dir := t.TempDir()
	stWriteFile(t, dir, stCC, "{")
	_, err := steps.Store{Dir: dir}.Load(stCC)
	wrapped := fmt.Errorf("run: %w", err)
	var se *steps.StateError
	if !errors.As(wrapped, &se) || !strings.Contains(se.Reason, "move it aside") {
		t.Errorf("not a typed state error: %v", err)
	}
	_, err = steps.Store{Dir: dir}.Load("not-a-uuid")
	stAsError(t, err)
}
