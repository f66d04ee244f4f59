package steps

import (
	"slices"
	"strings"
	"testing"
)

// Reset undoes the steps in reverse procedure order, and knows exactly the
// steps that declare an undo.
func TestResettableIsAllReversed(t *testing.T) {
	got := Resettable()
	want := []string{IDDesignerEnv, IDTenant, IDUCSService, IDChatServiceURI, IDRegisterGWS, IDAuthClient}
	if !slices.Equal(got, want) {
		t.Fatalf("Resettable() = %v, want %v", got, want)
	}
}

// A rotation runs the step that makes the client secret and every step
// that keeps a copy of it, in procedure order, plus the steps asked for.
func TestRotationSteps(t *testing.T) {
	if got, want := RotationSteps(nil), []string{IDAuthClient, IDRegisterGWS}; !slices.Equal(got, want) {
		t.Errorf("RotationSteps(nil) = %v, want %v", got, want)
	}
	if got, want := RotationSteps([]string{IDTenant, IDVerifyClient}), []string{IDAuthClient, IDVerifyClient, IDRegisterGWS, IDTenant}; !slices.Equal(got, want) {
		t.Errorf("Rotation(tenant, verify-client) = %v, want %v", got, want)
	}
	if RotationStart() != IDAuthClient {
		t.Errorf("RotationStart() = %q", RotationStart())
	}
}

// Each Created record belongs to exactly one step, which declares it; reset
// forgets a step's records through that declaration.
func TestCreatedRecordsAreDeclared(t *testing.T) {
	declared := map[string]string{}
	for _, s := range All {
		for _, k := range s.Creates {
			if other, dup := declared[k]; dup {
				t.Errorf("%s and %s both declare Created record %q", other, s.ID, k)
			}
			declared[k] = s.ID
		}
	}
	for _, k := range []string{CreatedAuthClient, CreatedGapiRow, CreatedSetting, CreatedTenant} {
		if declared[k] == "" {
			t.Errorf("no step declares Created record %q", k)
		}
	}
	st := NewState("578ec98e-f07c-46ad-9675-f36c22f3ba9f")
	for k := range declared {
		st.Created[k] = "x"
	}
	st.Steps[IDVerifyClient] = &Record{ID: IDVerifyClient, Status: StatusDone}
	st.Secrets = map[string]SecretOrigin{OutClientSecret: {}, OutAPIKey: {}}
	forget(st, IDAuthClient)
	if _, ok := st.Created[CreatedAuthClient]; ok {
		t.Error("forget(auth-client) kept its Created record")
	}
	if _, ok := st.Secrets[OutClientSecret]; ok {
		t.Error("forget(auth-client) kept the client secret's origin")
	}
	if _, ok := st.Steps[IDVerifyClient]; ok {
		t.Error("forget(auth-client) kept verify-client, whose proof is gone")
	}
	if _, ok := st.Created[CreatedTenant]; !ok {
		t.Error("forget(auth-client) dropped the tenant's record")
	}
}

// Manual work is typed: the SQL of a manual register-gws record and the
// DesignerEnv values, the API key marked as a secret.
func TestManualWorkIsTyped(t *testing.T) {
	sql := &Record{ID: IDRegisterGWS, Status: StatusManual, Outputs: map[string]string{OutSQL: "INSERT …"}}
	if w := ManualOf(sql); w == nil || w.SQL != "INSERT …" {
		t.Errorf("register-gws manual work = %+v", w)
	}
	if w := ManualOf(&Record{ID: IDRegisterGWS, Status: StatusDone}); w != nil {
		t.Errorf("a done record asks for manual work: %+v", w)
	}
	w := ManualOf(&Record{ID: IDDesignerEnv, Status: StatusManual})
	if w == nil || len(w.Values) != 3 {
		t.Fatalf("designer-env manual work = %+v", w)
	}
	secretValues := 0
	for _, v := range w.Values {
		if v.Secret != "" {
			secretValues++
			if v.Secret != OutAPIKey || v.Value != "" {
				t.Errorf("the secret value is %+v", v)
			}
		}
	}
	if secretValues != 1 {
		t.Errorf("%d secret values, want 1 (the Nexus API key)", secretValues)
	}
}

// A write in flight when a run stopped left only its intent: reset treats
// it as a record of what the tool created (the undo still proves the
// object is ours before removing it), and forgets it once undone. The
// durable part of the state is the same whether a record is an intent or
// created, so the step that answers pays no fsync for the move.
func TestResetTreatsAnIntentAsARecord(t *testing.T) {
	vs := NewValues()
	vs.Set(KeyAuthURL, "https://auth.example.com", FromConfig)
	vs.Set(KeyClientID, "nexus_client", FromConfig)
	vs.Set(KeyCCID, "578ec98e-f07c-46ad-9675-f36c22f3ba9f", FromConfig)
	e, err := NewEnv(vs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	st := NewState("578ec98e-f07c-46ad-9675-f36c22f3ba9f")
	st.Intents = map[string]map[string]string{IDAuthClient: {CreatedAuthClient: "nexus_client"}}
	plan, err := ResetPlan(e, st, []string{IDAuthClient})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range plan {
		if u.Step == IDAuthClient && strings.Contains(u.What, "delete the Auth client nexus_client") {
			found = true
		}
	}
	if !found {
		t.Fatalf("reset plan ignores the intent: %+v", plan)
	}
	if len(st.Created) != 0 {
		t.Errorf("planning changed the state: %v", st.Created)
	}
	before := st.durable()
	moved := NewState(st.CCID)
	moved.Created[CreatedAuthClient] = "nexus_client"
	if moved.durable() != before {
		t.Errorf("an intent that became a record changes the durable state:\n%s\n%s", before, moved.durable())
	}
	forget(st, IDAuthClient)
	if _, ok := st.Intents[IDAuthClient]; ok {
		t.Error("forget kept the undone step's intent")
	}
}
