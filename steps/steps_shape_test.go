package steps

import (
	"slices"
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
