package steps_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/nexusdb"
	"github.com/nexus-onboard/nexus-onboard/clients/sandbox"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/testkit"
)

// rotWorld is an onboarded sandbox with PostgreSQL, the tool's secrets in
// an in-memory keyring.
type rotWorld struct {
	sb    *sandbox.Sandbox
	kr    *secrets.Memory
	vals  steps.Values
	store steps.Store
}

func newRotWorld(t *testing.T, withDB bool) *rotWorld {
	t.Helper()
	dir := t.TempDir()
	sb, err := sandbox.Start(context.Background(), sandbox.Options{WithDB: withDB, Dir: dir, RandomIdentity: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	if withDB && sb.DBURL == "" {
		testkit.Missing(t, "PostgreSQL: %s", sb.DBNote)
	}
	vals, _, problems := steps.Load(steps.Sources{ConfigPath: sb.ConfigFile})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	w := &rotWorld{sb: sb, kr: secrets.NewMemory(), vals: vals, store: steps.Store{Dir: dir + "/state"}}
	if _, err := w.run(t, context.Background()); err != nil {
		t.Fatalf("onboarding: %v", err)
	}
	return w
}

func (w *rotWorld) env(t *testing.T) *steps.Env {
	t.Helper()
	e, err := steps.NewEnv(w.vals.Clone(), steps.Options{Keyring: w.kr, HTTP: httpx.Options{BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func (w *rotWorld) run(t *testing.T, ctx context.Context) ([]*steps.Record, error) {
	t.Helper()
	e := w.env(t)
	sel, err := steps.Select(nil, nil, e.In)
	if err != nil {
		t.Fatal(err)
	}
	r := &steps.Runner{Env: e, Store: w.store, RetryDelay: time.Millisecond}
	defer r.Close()
	return r.Run(ctx, sel)
}

// rotate runs a rotation under the locks, saving the state as rotate does.
func (w *rotWorld) rotate(t *testing.T, opts steps.RotateOptions) (steps.RotateResult, *steps.State, error) {
	t.Helper()
	e := w.env(t)
	cc := e.CCID()
	unlock, err := w.store.Lock(cc)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	unlockEnv, err := w.store.LockEnvironment(e.In)
	if err != nil {
		t.Fatal(err)
	}
	defer unlockEnv()
	st, err := w.store.Load(cc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := steps.Rotate(context.Background(), e, st, func() error { return w.store.Save(st) }, opts)
	return res, st, err
}

// consistent asserts the end state of a rotation: Auth accepts the
// keyring's secret and refuses old, nex_gapis holds it, no pending entry
// is left, and the state records no rotation.
func (w *rotWorld) consistent(t *testing.T, old string) {
	t.Helper()
	ctx := context.Background()
	e := w.env(t)
	acct := e.Account(steps.OutClientSecret)
	secret, err := w.kr.Get(ctx, acct)
	if err != nil {
		t.Fatalf("keyring: %v", err)
	}
	if secret == old {
		t.Errorf("the keyring still holds the old secret")
	}
	id := w.vals.Get(steps.KeyClientID)
	if _, err := e.Auth.ClientCredentialsToken(ctx, id, secret); err != nil {
		t.Errorf("Auth refuses the keyring's secret: %v", err)
	}
	if _, err := e.Auth.ClientCredentialsToken(ctx, id, old); err == nil {
		t.Errorf("Auth still accepts the old secret")
	}
	if w.sb.DBURL != "" {
		db, err := nexusdb.Connect(ctx, w.sb.DBURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		rows, err := db.FindGapis(ctx, w.vals.Get(steps.KeyGWSURL), id)
		if err != nil || len(rows) != 1 || rows[0].ClientSecret != secret {
			t.Errorf("nex_gapis: %d rows (%v), want one holding the keyring's secret", len(rows), err)
		}
	}
	if _, err := w.kr.Get(ctx, steps.PendingAccount(e)); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("the pending entry is still there (%v)", err)
	}
	st, err := w.store.Load(e.CCID())
	if err != nil {
		t.Fatal(err)
	}
	if st.Rotation != nil {
		t.Errorf("the state still records a rotation: %+v", st.Rotation)
	}
	if n := len(w.sb.Clients()); n != 1 {
		t.Errorf("%d Auth clients, want 1", n)
	}
}

func (w *rotWorld) secret(t *testing.T) string {
	t.Helper()
	e := w.env(t)
	v, err := w.kr.Get(context.Background(), e.Account(steps.OutClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRotateGivesOneNewSecretEverywhere(t *testing.T) {
	w := newRotWorld(t, true)
	old := w.secret(t)
	res, _, err := w.rotate(t, steps.RotateOptions{})
	if err != nil || !res.Done || !res.OldRefused || res.Resumed {
		t.Fatalf("rotate: %+v %v", res, err)
	}
	w.consistent(t, old)
	// The tool works on with the new secret: a run changes nothing.
	recs, err := w.run(t, context.Background())
	if err != nil {
		t.Fatalf("run after rotate: %v", err)
	}
	for _, r := range recs {
		if r.Status == steps.StatusDone && (r.ID == steps.IDAuthClient || r.ID == steps.IDRegisterGWS) {
			t.Errorf("%s acted after the rotation: %s", r.ID, r.Message)
		}
	}
}

var errStop = errors.New("stopped here (as a crash or Ctrl+C would)")

// A rotation stopped after each stage is finished by the next rotate, and
// by the next run: one secret everywhere, the old one refused.
func TestRotationInterruptedAtEveryStageIsFinished(t *testing.T) {
	stages := []string{steps.StageGenerated, steps.StageAuth, steps.StageDatabase, steps.StageVerified, steps.StagePromoted}
	for _, stage := range stages {
		for _, by := range []string{"rotate", "run"} {
			t.Run(stage+"/then-"+by, func(t *testing.T) {
				w := newRotWorld(t, true)
				old := w.secret(t)
				_, st, err := w.rotate(t, steps.RotateOptions{After: func(s string) error {
					if s == stage {
						return errStop
					}
					return nil
				}})
				if !errors.Is(err, errStop) {
					t.Fatalf("rotate did not stop at %s: %v", stage, err)
				}
				if stage != steps.StagePromoted && (st.Rotation == nil || st.Rotation.Pending == "") {
					t.Fatalf("stopped at %s, the state does not say where the new secret is: %+v", stage, st.Rotation)
				}
				switch by {
				case "rotate":
					res, _, err := w.rotate(t, steps.RotateOptions{})
					if err != nil || !res.Done {
						t.Fatalf("the next rotate: %+v %v", res, err)
					}
				case "run":
					if _, err := w.run(t, context.Background()); err != nil {
						t.Fatalf("the next run: %v", err)
					}
				}
				w.consistent(t, old)
			})
		}
	}
}

// Without db_url the rotation stops after Auth with the SQL to run; once
// it ran, rotate --continue finishes.
func TestRotationWithoutDatabaseWaitsForItsSQL(t *testing.T) {
	w := newRotWorld(t, true)
	old := w.secret(t)
	dbURL := w.vals.Get(steps.KeyDBURL)
	w.vals.Set(steps.KeyDBURL, "", steps.FromUser)
	res, st, err := w.rotate(t, steps.RotateOptions{})
	if err != nil || !res.Manual || res.Done || !strings.Contains(res.Continue, "rotate --continue") {
		t.Fatalf("rotate without db_url: %+v %v", res, err)
	}
	if st.Rotation == nil || st.Rotation.Auth != "new" || st.Rotation.Database != "manual" || st.Rotation.Keyring != "old" {
		t.Fatalf("the state does not say which side holds which secret: %+v", st.Rotation)
	}
	if !strings.Contains(res.SQL, st.Rotation.Pending) || strings.Contains(res.SQL, w.secret(t)) {
		t.Errorf("the SQL does not read the pending secret from the keyring")
	}
	// The admin runs the SQL: nex_gapis gets the pending secret.
	ctx := context.Background()
	pending, err := w.kr.Get(ctx, st.Rotation.Pending)
	if err != nil {
		t.Fatal(err)
	}
	db, err := nexusdb.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.EnsureGapi(ctx, w.vals.Get(steps.KeyGWSURL), w.vals.Get(steps.KeyClientID), pending); err != nil {
		t.Fatal(err)
	}
	res, _, err = w.rotate(t, steps.RotateOptions{Continue: true})
	if err != nil || !res.Done || !res.Resumed {
		t.Fatalf("rotate --continue: %+v %v", res, err)
	}
	w.vals.Set(steps.KeyDBURL, dbURL, steps.FromUser)
	w.consistent(t, old)
}

// Faults at Auth: a refused PUT leaves the old secret working everywhere;
// a PUT whose answer is lost leaves Auth with the new one. Either way the
// state says so and the next rotate finishes with one secret everywhere.
func TestRotationSurvivesFaultsAtAuth(t *testing.T) {
	for _, c := range []struct {
		name      string
		fault     sandbox.Fault
		authAfter string
	}{
		{"PUT refused", sandbox.Fault{Method: "PUT", Status: 500}, "old"},
		{"PUT answer lost", sandbox.Fault{Method: "PUT", Status: 500, AfterHandling: true}, "new"},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newRotWorld(t, true)
			old := w.secret(t)
			f := c.fault
			f.Path = "/auth/v3/ops/clients/" + w.vals.Get(steps.KeyClientID)
			w.sb.Faults.Add(f)
			_, st, err := w.rotate(t, steps.RotateOptions{})
			if err == nil {
				t.Fatal("rotate succeeded through a failing PUT")
			}
			if st.Rotation == nil || st.Rotation.Auth != "old" || st.Rotation.Keyring != "old" {
				t.Fatalf("state after the fault: %+v", st.Rotation)
			}
			// Which secret Auth really holds is what the next rotate finds.
			ctx := context.Background()
			e := w.env(t)
			pending, _ := w.kr.Get(ctx, steps.PendingAccount(e))
			_, errNew := e.Auth.ClientCredentialsToken(ctx, w.vals.Get(steps.KeyClientID), pending)
			if got := map[bool]string{true: "new", false: "old"}[errNew == nil]; got != c.authAfter {
				t.Fatalf("Auth holds the %s secret, want %s", got, c.authAfter)
			}
			w.sb.Faults.Clear()
			puts := w.sb.Count("PUT", f.Path)
			res, _, err := w.rotate(t, steps.RotateOptions{})
			if err != nil || !res.Done || !res.Resumed {
				t.Fatalf("the next rotate: %+v %v", res, err)
			}
			if c.authAfter == "new" && w.sb.Count("PUT", f.Path) != puts {
				t.Errorf("Auth already held the new secret, yet it was sent again")
			}
			w.consistent(t, old)
		})
	}
}
