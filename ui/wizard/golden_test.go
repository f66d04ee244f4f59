package wizard

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/nexus-onboard/nexus-onboard/clients/gws"
	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/clients/nexusdb"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// The screens are placed in a given state with fixture values (no network)
// and rendered through a real Bubble Tea program into the vt emulator.
// Regenerate with: go test ./ui/wizard -run TestGoldenScreens -update

var fixtureT0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// fixtureExchanges are what httpx records (already redacted) for a step.
func fixtureExchanges(id string) []httpx.Exchange {
	h := func(kv ...string) http.Header {
		out := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	switch id {
	case steps.IDContactCenter:
		return []httpx.Exchange{{Method: "GET", URL: "https://auth.example.com/environment/v3/contact-centers", Attempt: 1,
			RequestHeader: h("Authorization", "Basic ****", "Accept", "application/json"), Status: 200, Duration: 42 * time.Millisecond,
			ResponseBody: `{"status":{"code":0},"data":{"contactCenters":[{"id":"` + fixtureCC + `","environmentId":"e1","domains":["example.com"],"auth":"gws"}]}}`}}
	case steps.IDAuthClient:
		return []httpx.Exchange{
			{Method: "GET", URL: "https://auth.example.com/auth/v3/ops/clients/nexus_client", Attempt: 1,
				RequestHeader: h("Authorization", "Basic ****"), Status: 404, Duration: 12 * time.Millisecond,
				ResponseBody: `{"status":{"code":4,"message":"client \"nexus_client\" not found"}}`},
			{Method: "POST", URL: "https://auth.example.com/auth/v3/ops/clients", Attempt: 1,
				RequestHeader: h("Authorization", "Basic ****", "Content-Type", "application/json"),
				RequestBody:   `{"data":{"name":"nexus_client","clientType":"CONFIDENTIAL","client_secret":"****","redirectURIs":["https://nexus.example.com"]}}`,
				Status:        201, Duration: 31 * time.Millisecond, ResponseBody: `{"status":{"code":0}}`},
		}
	case steps.IDTenant:
		return []httpx.Exchange{{Method: "POST", URL: "https://nexus.example.com/nexus/v3/provisioning/tenants", Attempt: 1,
			RequestHeader: h("Authorization", "Bearer ****", "Content-Type", "application/json"),
			RequestBody:   `{"id":"` + fixtureCC + `","name":"premise_tenant","type":"PureEngage","backendurl":"https://gws.example.com","username":"nexus","token":"****","genesysenantid":1}`,
			Status:        500, Duration: 88 * time.Millisecond, ResponseBody: `{"status":{"code":500,"message":"database unavailable"}}`}}
	}
	return nil
}

var fixtureMessages = map[string]string{
	steps.IDContactCenter:  "contact center " + fixtureCC + " exists",
	steps.IDAuthClient:     "created client nexus_client; secret stored in the keyring",
	steps.IDVerifyClient:   "client_credentials token issued",
	steps.IDRegisterGWS:    "nex_gapis: inserted",
	steps.IDChatServiceURI: "chat-service-uri set to https://nexus.example.com",
	steps.IDTenantToken:    "token issued for " + fixtureCC + `\nexus (kept in memory)`,
	steps.IDUCSService:     "PlatformUCS points at https://ucs.example.com",
	steps.IDTenant:         "tenant provisioned; API key stored in the keyring",
	steps.IDDesignerEnv:    "In Agent Setup (Environment tenant), open or create the List transaction DesignerEnv (name and alias) and set baseurl, password and url as shown",
}

const tenantError = "provision the tenant: Digital Channels answered 500 Internal Server Error (database unavailable) at nexus.example.com: retry later or check the Digital Channels logs"

// fixtureRecord is what the runner records for a step; failAt makes that
// step fail and the later ones not run.
func fixtureRecord(i int, id, failAt string) *steps.Record {
	rec := &steps.Record{ID: id, Status: steps.StatusDone, DurationMS: int64(10 + 7*i), Outputs: map[string]string{},
		Started: fixtureT0.Add(time.Duration(i) * time.Second), Finished: fixtureT0.Add(time.Duration(i)*time.Second + 500*time.Millisecond),
		Message: fixtureMessages[id], Transcript: fixtureExchanges(id)}
	switch {
	case id == steps.IDContactCenter:
		rec.Status = steps.StatusAlreadyDone
		rec.Outputs[steps.OutCCID] = fixtureCC
	case id == steps.IDDesignerEnv:
		rec.Status = steps.StatusManual
		rec.Outputs = map[string]string{"baseurl": "/nexus/v1", "url": "/nexus/v3", "transaction": "DesignerEnv", "type": "List"}
	}
	if failAt != "" {
		fi := indexOf(failAt)
		switch {
		case i == fi:
			rec.Status, rec.Message, rec.Error = steps.StatusFailed, "", tenantError
		case i > fi:
			rec.Status, rec.Message, rec.DurationMS, rec.Transcript = steps.StatusNotRun, "", 0, nil
			rec.Started, rec.Finished = time.Time{}, time.Time{}
		}
	}
	return rec
}

func indexOf(id string) int {
	for i, st := range steps.All {
		if st.ID == id {
			return i
		}
	}
	return -1
}

func fixtureState(failAt string) *steps.State {
	st := steps.NewState(fixtureCC)
	st.Updated = fixtureT0.Add(time.Minute)
	for i, s := range steps.All {
		st.Steps[s.ID] = fixtureRecord(i, s.ID, failAt)
	}
	return st
}

// playRun feeds the run screen the events a run would send.
func playRun(m *model, failAt string) {
	sel, _ := steps.Select(nil, nil, m.vals)
	r := m.newRun(sel)
	for i, st := range steps.All {
		rec := fixtureRecord(i, st.ID, failAt)
		if rec.Status != steps.StatusNotRun {
			r.event(runEventMsg{ev: steps.Event{Kind: steps.EventStart, Step: st.ID}, at: rec.Started})
			for j := range rec.Transcript {
				r.event(runEventMsg{ev: steps.Event{Kind: steps.EventExchange, Step: st.ID, Exchange: &rec.Transcript[j]}})
			}
		}
		r.event(runEventMsg{ev: steps.Event{Kind: steps.EventFinish, Step: st.ID, Record: rec}})
	}
	var err error
	if failAt != "" {
		err = &steps.StepFailedError{Step: failAt, Err: tenantError}
	}
	m.run.runFinished(runDoneMsg{err: err, state: fixtureState(failAt)})
}

type screenCase struct {
	name  string
	wait  string // on the screen once it is drawn
	setup func(t testing.TB, m *model)
}

var screenCases = []screenCase{
	{"form-endpoints", "Digital Channels URL", func(t testing.TB, m *model) { m.pending = m.enterForm(0, "", "") }},
	{"form-advanced", "Skip TLS verification", func(t testing.TB, m *model) { m.pending = m.enterForm(1, "", "") }},
	{"form-credentials", "GWS ops password", func(t testing.TB, m *model) { m.pending = m.enterForm(2, "", "") }},
	{"form-tenant", "Tenant name", func(t testing.TB, m *model) {
		m.form = newFormScreen(m.vals, m.requiredFor, false)
		m.form.disc[m.form.discKey()] = discovery{ccs: []gws.ContactCenter{
			{ID: fixtureCC, Domains: []string{"example.com"}},
			{ID: "0f4b6a12-3c5d-4e6f-8a9b-0c1d2e3f4a5b", Domains: []string{"lab.example.com"}},
		}}
		m.pending = m.enterForm(3, "", "")
	}},
	{"form-database", "UCS provisioning API key", func(t testing.TB, m *model) { m.pending = m.enterForm(4, "", "") }},
	{"preflight-failed", "check gws_admin_password", func(t testing.TB, m *model) {
		m.pre = &preflightScreen{sh: m.session, gen: 1, cancel: func() {}}
		m.show(m.pre)
		rows := []steps.CheckResult{
			{Note: "write, read and delete of a probe entry worked", Duration: 21 * time.Millisecond},
			{Note: "reachable, certificate valid", Duration: 35 * time.Millisecond},
			{Note: "reachable, certificate valid", Duration: 40 * time.Millisecond},
			{Note: "reachable, certificate valid", Duration: 38 * time.Millisecond},
			{Note: "reachable, certificate valid", Duration: 36 * time.Millisecond},
			{Err: "GWS rejected the ops credentials (401 Unauthorized) at auth.example.com: check gws_admin_user and gws_admin_password", Duration: 52 * time.Millisecond},
			{NotChecked: true, Waits: "Ops credentials accepted", Note: "not checked: needs Ops credentials accepted"},
			{Note: "connected; nex_gapis present", Duration: 61 * time.Millisecond},
		}
		names := []struct{ name, key string }{{"OS keyring writable", "keyring"}, {"Auth URL reachable", steps.KeyAuthURL},
			{"Digital Channels URL reachable", steps.KeyNexusURL}, {"GWS URL reachable", steps.KeyGWSURL}, {"UCS URL reachable", steps.KeyUCSURL},
			{"Ops credentials accepted", steps.KeyAdminPassword}, {"Tenant user can log in", steps.KeyTenantPass}, {"Nexus database reachable", steps.KeyDBURL}}
		for _, n := range names {
			m.pre.rows = append(m.pre.rows, checkRow{name: n.name, key: n.key})
		}
		for i, r := range rows {
			r.Index, r.Name = i, names[i].name
			m.forward(checkDoneMsg{gen: 1, result: r})
		}
	}},
	{"plan", "Plan: 8 steps will run", func(t testing.TB, m *model) {
		sel, _ := steps.Select(nil, nil, m.vals)
		p := m.newPlan(sel)
		m.forward(planChecksMsg{gen: p.gen, st: map[string]steps.Status{steps.IDContactCenter: steps.StatusAlreadyDone}})
		m.forward(keyMsg("down"))
	}},
	{"run-failed", "Stopped at tenant", func(t testing.TB, m *model) { playRun(m, steps.IDTenant) }},
	{"run-finished", "Finished: 8 of 9 done; 1 for you to do by hand (designer-env)", func(t testing.TB, m *model) { playRun(m, "") }},
	{"summary", "8 of 9 steps done for contact center", func(t testing.TB, m *model) {
		m.state = fixtureState("")
		m.toSummary()
	}},
	{"summary-manual-sql", "w save the SQL", func(t testing.TB, m *model) {
		m.state = fixtureState("")
		rec := m.state.Steps[steps.IDRegisterGWS]
		rec.Status = steps.StatusManual
		rec.Message = "db_url is not set: run the SQL in outputs.sql with psql against the Digital Channels database"
		rec.Outputs = map[string]string{"sql": nexusdb.ManualSQL("https://gws.example.com", "nexus_client", fixtureCC+"/client_secret")}
		m.toSummary()
		m.forward(keyMsg("pgdown"))
	}},
	{"menu", "Contact center " + fixtureCC, func(t testing.TB, m *model) {
		m.state = fixtureState(steps.IDTenant)
		m.toMenu()
	}},
	{"transcript", "Last transcript of auth-client", func(t testing.TB, m *model) {
		m.state = fixtureState("")
		m.toTranscript(steps.IDAuthClient)
	}},
}

var sizes = []struct{ w, h int }{{80, 24}, {120, 40}}

func TestGoldenScreens(t *testing.T) {
	for _, c := range screenCases {
		for _, sz := range sizes {
			t.Run(fmt.Sprintf("%s_%dx%d", c.name, sz.w, sz.h), func(t *testing.T) {
				m := fixtureModel(t, sz.w, sz.h)
				c.setup(t, m)
				h := newHarness(t, m, sz.w, sz.h, colorprofile.ANSI)
				s := h.waitFor(5*time.Second, c.wait)
				// Let the last frames (cursor, help) settle.
				time.Sleep(50 * time.Millisecond)
				s = h.screen()
				assertNoSecret(t, s)
				golden.RequireEqual(t, s)
			})
		}
	}
}

// TestScreensFitEverySize renders each screen at sizes down to 60×20 and up
// to 200×60: no line may be wider than the terminal, and the frame must
// fill it exactly (no scrolling, no gaps).
func TestScreensFitEverySize(t *testing.T) {
	for _, c := range screenCases {
		for _, sz := range []struct{ w, h int }{{50, 14}, {60, 20}, {80, 24}, {100, 30}, {120, 40}, {200, 60}} {
			t.Run(fmt.Sprintf("%s_%dx%d", c.name, sz.w, sz.h), func(t *testing.T) {
				m := fixtureModel(t, 80, 24)
				c.setup(t, m)
				// A resize after the screen is up, as a user would.
				m.Update(sizeMsg(sz.w, sz.h))
				out := m.View().Content
				lines := strings.Split(out, "\n")
				if len(lines) != sz.h {
					t.Errorf("%d lines, want %d", len(lines), sz.h)
				}
				for i, l := range lines {
					if w := ansi.StringWidth(l); w > sz.w {
						t.Errorf("line %d is %d cells wide (> %d): %q", i, w, sz.w, ansi.Strip(l))
					}
				}
				// However narrow, the help bar keeps "? keys" and the way out.
				bar := ansi.Strip(lines[len(lines)-1])
				if !regexp.MustCompile(`(\?|f1) keys`).MatchString(bar) || !regexp.MustCompile(`(q|ctrl\+c) (quit|stop)`).MatchString(bar) {
					t.Errorf("the help bar lost its way out at %dx%d: %q", sz.w, sz.h, bar)
				}
				assertNoSecret(t, out)
			})
		}
	}
}

// TestGoldenFilesHoldNoSecret reads every golden file: none may contain a
// secret of the fixture (they were on the model, masked on screen).
func TestGoldenFilesHoldNoSecret(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < len(screenCases)*len(sizes) {
		t.Fatalf("found %d golden files, want %d: run the golden test with -update", len(files), len(screenCases)*len(sizes))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range goldenSecrets {
			if strings.Contains(string(b), v) {
				t.Errorf("%s contains the %s", f, name)
			}
		}
	}
}

func assertNoSecret(t testing.TB, s string) {
	t.Helper()
	for name, v := range goldenSecrets {
		if strings.Contains(s, v) {
			t.Errorf("the screen shows the %s:\n%s", name, s)
		}
	}
}
