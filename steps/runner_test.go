package steps

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/redact"
)

func TestSelectPullsInReadOnlyProducers(t *testing.T) {
	withCC := NewValues()
	withCC.Set(KeyCCID, "578ec98e-f07c-46ad-9675-f36c22f3ba9f", FromFlag)
	cases := []struct {
		name       string
		only, skip []string
		in         Values
		want       []string
		pulled     []string
		err        string
	}{
		{"all", nil, nil, withCC, IDs(), nil, ""},
		{"tenant pulls token", []string{IDTenant}, nil, withCC, []string{IDTenantToken, IDTenant}, []string{IDTenantToken}, ""},
		{"no cc pulls contact-center", []string{IDTenant}, nil, NewValues(), []string{IDContactCenter, IDTenantToken, IDTenant}, []string{IDContactCenter, IDTenantToken}, ""},
		{"keyring outputs are not pulled", []string{IDVerifyClient}, nil, withCC, []string{IDVerifyClient}, nil, ""},
		{"skip", nil, []string{IDUCSService, IDDesignerEnv}, withCC, []string{IDContactCenter, IDAuthClient, IDVerifyClient, IDRegisterGWS, IDChatServiceURI, IDTenantToken, IDTenant}, nil, ""},
		{"skip a needed producer", []string{IDTenant}, []string{IDTenantToken}, withCC, nil, nil, "needs access_token"},
		{"unknown", []string{"tennant"}, nil, withCC, nil, nil, "unknown step tennant"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sel, err := Select(c.only, c.skip, c.in)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sel.IDs(), c.want) || !slices.Equal(sel.Pulled, c.pulled) {
				t.Errorf("got %v pulled %v, want %v pulled %v", sel.IDs(), sel.Pulled, c.want, c.pulled)
			}
		})
	}
}

func TestRequiredFollowsSelectionAndValues(t *testing.T) {
	vs := NewValues()
	sel, _ := Select([]string{IDUCSService}, nil, vs)
	if req := sel.Required(vs); slices.Contains(req, KeyUCSAPIKey) {
		t.Errorf("ucs_api_key required without ucs_url: %v", req)
	}
	vs.Set(KeyUCSURL, "https://ucs.example", FromFlag)
	vs.Set(KeyCCID, "578ec98e-f07c-46ad-9675-f36c22f3ba9f", FromFlag)
	sel, _ = Select([]string{IDUCSService}, nil, vs)
	if req := sel.Required(vs); !slices.Contains(req, KeyUCSAPIKey) || !slices.Contains(req, KeyCCID) {
		t.Errorf("required = %v", req)
	}
}

func testEnv(t *testing.T) *Env {
	vs := NewValues()
	vs.Set(KeyCCID, "578ec98e-f07c-46ad-9675-f36c22f3ba9f", FromFlag)
	r := redact.New()
	return &Env{In: vs, Redactor: r, mem: map[string]string{}}
}

func TestRunnerChecksBeforeRetryingAWrite(t *testing.T) {
	// What httpx reports for a 504 on a POST: maybe processed, maybe not.
	transient := &httpx.StatusError{Method: "POST", Host: "auth.example", Path: "/x", Status: 504}
	e := testEnv(t)
	landed := false
	writes, checks := 0, 0
	st := Step{ID: "w", Title: "write",
		Check: func(ctx context.Context, e *Env) (bool, Result, error) { checks++; return landed, Result{}, nil },
		Run: func(ctx context.Context, e *Env) (Result, error) {
			writes++
			landed = true // the write happened, the answer was lost
			return Result{}, transient
		},
	}
	r := &Runner{Env: e, Store: Store{Dir: t.TempDir()}, RetryDelay: 1}
	recs, err := r.Run(context.Background(), Selection{Steps: []Step{st}})
	if err != nil {
		t.Fatal(err)
	}
	if writes != 1 || checks != 2 || recs[0].Status != StatusDone {
		t.Errorf("writes %d checks %d status %s", writes, checks, recs[0].Status)
	}
}

func TestRunnerStopsAtFailureAndSavesState(t *testing.T) {
	e := testEnv(t)
	e.Redactor.Add("top-secret-value")
	dir := t.TempDir()
	ok := Step{ID: "a", Run: func(context.Context, *Env) (Result, error) {
		return Result{Outputs: map[string]string{"x": "1"}, Created: map[string]string{"thing": "a"}}, nil
	}}
	bad := Step{ID: "b", Run: func(context.Context, *Env) (Result, error) {
		return Result{}, errors.New("401 for top-secret-value: check gws_admin_password")
	}}
	never := Step{ID: "c", Run: func(context.Context, *Env) (Result, error) { t.Error("ran after a failure"); return Result{}, nil }}
	skip := Step{ID: "d", Skip: func(Values) string { return "not used" }, Run: never.Run}
	r := &Runner{Env: e, Store: Store{Dir: dir}}
	recs, err := r.Run(context.Background(), Selection{Steps: []Step{skip, ok, bad, never}})
	r.Close()
	var sf *StepFailedError
	if !errors.As(err, &sf) || sf.Step != "b" {
		t.Fatalf("err = %v", err)
	}
	statuses := []Status{}
	for _, rec := range recs {
		statuses = append(statuses, rec.Status)
	}
	if !slices.Equal(statuses, []Status{StatusSkipped, StatusDone, StatusFailed, StatusNotRun}) {
		t.Errorf("statuses %v", statuses)
	}
	data, err := os.ReadFile(filepath.Join(dir, e.CCID()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "top-secret-value") {
		t.Error("state file holds a secret")
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Steps["b"].Status != StatusFailed || !strings.Contains(st.Steps["b"].Error, "check gws_admin_password") || st.Created["thing"] != "a" {
		t.Errorf("state: %s", data)
	}
}

func TestRunnerInterrupted(t *testing.T) {
	e := testEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	st := Step{ID: "a", Run: func(ctx context.Context, e *Env) (Result, error) { cancel(); <-ctx.Done(); return Result{}, ctx.Err() }}
	st2 := Step{ID: "b", Run: func(context.Context, *Env) (Result, error) { return Result{}, nil }}
	r := &Runner{Env: e, Store: Store{Dir: t.TempDir()}}
	defer r.Close()
	recs, err := r.Run(ctx, Selection{Steps: []Step{st, st2}})
	if !errors.Is(err, ErrInterrupted) || recs[0].Status != StatusFailed || recs[1].Status != StatusNotRun {
		t.Fatalf("err %v recs %+v %+v", err, recs[0], recs[1])
	}
}

func TestStateLockAndAtomicSave(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	cc := "578ec98e-f07c-46ad-9675-f36c22f3ba9f"
	unlock, err := s.Lock(cc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Lock(cc); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	unlock()
	again, err := s.Lock(cc)
	if err != nil {
		t.Fatal(err)
	}
	again()
	st := NewState(cc)
	st.Steps["x"] = &Record{ID: "x", Status: StatusDone}
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(cc)
	if err != nil || got.Steps["x"].Status != StatusDone || s.Last() != cc || !slices.Equal(s.List(), []string{cc}) {
		t.Fatalf("load %v %v last %q", got, err, s.Last())
	}
	entries, _ := os.ReadDir(s.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
	os.WriteFile(s.Path(cc), []byte("{broken"), 0o600)
	if _, err := s.Load(cc); err == nil || !strings.Contains(err.Error(), "move it aside") {
		t.Errorf("damaged state: %v", err)
	}
}
