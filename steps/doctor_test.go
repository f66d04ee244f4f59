package steps_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// doctorOf runs the drift check with the fixture's state, and returns the
// diagnoses by step id and the requests it sent.
func doctorOf(t *testing.T, f *fixture) (map[string]steps.Diagnosis, []string) {
	t.Helper()
	st, err := f.store.Load(f.sb.CCID)
	if err != nil {
		t.Fatal(err)
	}
	before := len(f.sb.Requests())
	e := f.env(t, steps.Options{})
	ds := steps.Doctor(context.Background(), e, st)
	if len(ds) != len(steps.All) {
		t.Fatalf("%d diagnoses for %d steps", len(ds), len(steps.All))
	}
	out := map[string]steps.Diagnosis{}
	for _, d := range ds {
		out[d.ID] = d
	}
	var sent []string
	for _, r := range f.sb.Requests()[before:] {
		sent = append(sent, r.Method+" "+r.Path)
	}
	return out, sent
}

// assertReadOnly: a doctor sends GETs and token requests, never a write.
func assertReadOnly(t *testing.T, sent []string) {
	t.Helper()
	if len(sent) == 0 {
		t.Fatal("doctor sent nothing: it must check live")
	}
	for _, r := range sent {
		if !strings.HasPrefix(r, "GET ") && r != "POST /auth/v3/oauth/token" {
			t.Errorf("doctor sent a write: %s", r)
		}
	}
}

func TestDoctorFindsNothingAfterAFullRun(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(t, steps.Options{}); err != nil {
		t.Fatal(err)
	}
	ds, sent := doctorOf(t, f)
	assertReadOnly(t, sent)
	for id, d := range ds {
		switch id {
		case steps.IDRegisterGWS, steps.IDUCSService, steps.IDDesignerEnv:
			if d.Status != steps.HealthManual && d.Status != steps.HealthOK {
				t.Errorf("%s: %s %q", id, d.Status, d.Detail)
			}
		default:
			if d.Status != steps.HealthOK {
				t.Errorf("%s: %s %q, want ok", id, d.Status, d.Detail)
			}
		}
	}
	if d := ds[steps.IDRegisterGWS]; d.Status != steps.HealthManual || !strings.Contains(d.SQL, "secret_matches") {
		t.Errorf("without db_url register-gws is not manual with its check SQL: %+v", d)
	}
	if h := steps.DoctorHealth(mapValues(ds)); h != steps.HealthOK {
		t.Errorf("health %s, want ok", h)
	}
}

func TestDoctorFindsADriftedSettingAndAChangedSecret(t *testing.T) {
	f := newFixture(t)
	if _, err := f.run(t, steps.Options{}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e := f.env(t, steps.Options{})
	// Someone points chat-service-uri elsewhere.
	if err := e.Auth.CreateSetting(ctx, f.sb.CCID, gws.Setting{Name: "chat-service-uri", Location: "/", Value: "https://elsewhere.example.com"}); err != nil {
		t.Fatal(err)
	}
	ds, sent := doctorOf(t, f)
	assertReadOnly(t, sent)
	d := ds[steps.IDChatServiceURI]
	if d.Status != steps.HealthDrift || !strings.Contains(d.Fix, "run --only "+steps.IDChatServiceURI) {
		t.Errorf("drifted setting: %+v", d)
	}
	if h := steps.DoctorHealth(mapValues(ds)); h != steps.HealthDrift {
		t.Errorf("health %s, want drift", h)
	}

	// Someone gives the client another secret at Auth.
	id := f.vals.Get(steps.KeyClientID)
	if err := e.Auth.UpdateClient(ctx, gws.NexusClient(id, "another-secret-set-elsewhere-0123456789", f.vals.Get(steps.KeyNexusURL))); err != nil {
		t.Fatal(err)
	}
	ds, sent = doctorOf(t, f)
	assertReadOnly(t, sent)
	d = ds[steps.IDAuthClient]
	if d.Status != steps.HealthDrift || !strings.Contains(d.Fix, "--rotate-secret") {
		t.Errorf("changed secret: %+v", d)
	}
	for _, dep := range []string{steps.IDVerifyClient, steps.IDTenantToken} {
		if ds[dep].Status != steps.HealthUnknown {
			t.Errorf("%s depends on the secret: %s %q, want unknown", dep, ds[dep].Status, ds[dep].Detail)
		}
	}
	for _, d := range ds {
		if strings.Contains(d.Detail, "another-secret-set-elsewhere") {
			t.Errorf("%s shows a secret: %s", d.ID, d.Detail)
		}
	}
}

func mapValues(m map[string]steps.Diagnosis) []steps.Diagnosis {
	out := make([]steps.Diagnosis, 0, len(m))
	for _, d := range m {
		out = append(out, d)
	}
	return out
}
