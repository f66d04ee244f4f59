package wizard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/nexus-onboard/nexus-onboard/clients/httpx"
	"github.com/nexus-onboard/nexus-onboard/steps"
	"github.com/nexus-onboard/nexus-onboard/ui/app"
)

// blockingStep stands for a step waiting on a slow server: it returns only
// when its context ends, as the real steps do.
func blockingStep(started chan<- struct{}) steps.Step {
	return steps.Step{ID: "slow-step", Title: "Wait on a slow server", Run: func(ctx context.Context, e *steps.Env) (steps.Result, error) {
		close(started)
		<-ctx.Done()
		return steps.Result{}, ctx.Err()
	}}
}

// next runs a command as the program would, returning its message.
func next(t *testing.T, cmd tea.Cmd) tea.Msg {
	t.Helper()
	if cmd == nil {
		t.Fatal("no command")
	}
	got := make(chan tea.Msg, 1)
	go func() { got <- cmd() }()
	select {
	case msg := <-got:
		return msg
	case <-time.After(10 * time.Second):
		t.Fatal("the command did not answer")
	}
	return nil
}

// TestUpdateAnswersWhileAStepRuns: with a step blocked on the network, key
// presses, spinner ticks, resizes and View all return at once; Ctrl+C asks,
// y abandons the step, the runner records it and the state is saved.
func TestUpdateAnswersWhileAStepRuns(t *testing.T) {
	m := fixtureModel(t, 80, 24)
	started := make(chan struct{})
	sel := steps.Selection{Steps: []steps.Step{blockingStep(started)}}
	cmd := m.toRun(sel)
	ev := next(t, cmd) // EventStart
	<-started
	m.Update(ev)
	if !m.running() {
		t.Fatal("the run is not marked active")
	}
	msgs := []tea.Msg{keyMsg("down"), keyMsg("up"), keyMsg("pgdown"), keyMsg("?"), keyMsg("?"), m.spin.Tick(), sizeMsg(120, 40), sizeMsg(80, 24)}
	for _, msg := range msgs {
		t0 := time.Now()
		m.Update(msg)
		_ = m.View()
		if d := time.Since(t0); d > 50*time.Millisecond {
			t.Errorf("Update+View of %T took %s while a step runs", msg, d)
		}
	}
	if !strings.Contains(m.View().Content, "Running: 0 of 1") {
		t.Errorf("the run screen does not show the running step:\n%s", m.View().Content)
	}

	// Ctrl+C asks first; n keeps running.
	m.Update(keyMsg("ctrl+c"))
	if !m.confirmQuit || !strings.Contains(m.View().Content, "Stop it?") {
		t.Fatalf("ctrl+c did not ask:\n%s", m.View().Content)
	}
	m.Update(keyMsg("n"))
	if m.confirmQuit || !m.running() {
		t.Fatal("n did not keep the run going")
	}
	m.Update(keyMsg("q"))
	_, cmd = m.Update(keyMsg("y"))
	if cmd != nil {
		t.Fatal("abandoning must wait for the runner, not quit at once")
	}
	// The runner notices the cancel, records the step and reports.
	var quit tea.Cmd
	for {
		msg := next(t, listen(m.run.ch))
		_, quit = m.Update(msg)
		if _, done := msg.(runDoneMsg); done {
			break
		}
	}
	if quit == nil {
		t.Fatal("no command after the run stopped")
	}
	if _, ok := quit().(tea.QuitMsg); !ok {
		t.Fatal("the program does not quit after the run stopped")
	}
	var ee *app.ExitError
	if !errors.As(m.outcome, &ee) || ee.Code != 130 {
		t.Errorf("outcome = %v, want exit 130", m.outcome)
	}
	st, err := m.store.Load(fixtureCC)
	if err != nil {
		t.Fatal(err)
	}
	if rec := st.Steps["slow-step"]; rec == nil || rec.Status != steps.StatusFailed || !strings.Contains(rec.Error, "interrupted") {
		t.Errorf("state after abandoning: %+v", rec)
	}
}

// bigExchange is a step's exchange with a 1 MB JSON answer.
func bigExchange() *httpx.Exchange {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := 0; b.Len() < 1<<20; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item-%d","value":"%s"}`, i, i, strings.Repeat("x", 40))
	}
	b.WriteString("]}")
	return &httpx.Exchange{Method: "GET", URL: "https://auth.example.com/environment/v3/contact-centers", Attempt: 1,
		Status: 200, Duration: 80 * time.Millisecond, ResponseBody: b.String()}
}

// runWithBigAnswer puts the run screen on a running step whose preview
// holds a 1 MB answer.
func runWithBigAnswer(t testing.TB, w, h int) *model {
	m := fixtureModel(t, w, h)
	sel, _ := steps.Select([]string{steps.IDContactCenter}, nil, m.vals)
	r := m.newRun(sel)
	r.active = true
	r.event(runEventMsg{ev: steps.Event{Kind: steps.EventStart, Step: steps.IDContactCenter}, at: time.Now()})
	r.event(runEventMsg{ev: steps.Event{Kind: steps.EventExchange, Step: steps.IDContactCenter, Exchange: bigExchange()}})
	return m
}

func TestPreviewCutsLongBodies(t *testing.T) {
	m := runWithBigAnswer(t, 120, 40)
	lines := m.run.pane.vp.TotalLineCount()
	if lines > previewBodyLines+20 {
		t.Errorf("the preview holds %d lines of a 1 MB body", lines)
	}
	m.run.pane.vp.GotoBottom()
	if v := m.View().Content; !strings.Contains(v, "body of 1.0 MB cut here") {
		t.Errorf("no note says the body was cut:\n%s", v)
	}
}

// BenchmarkRunViewLargeResponse: a frame of the run screen while the
// preview holds a 1 MB answer (goal: well under 2 ms).
func BenchmarkRunViewLargeResponse(b *testing.B) {
	for _, sz := range sizes {
		b.Run(fmt.Sprintf("%dx%d", sz.w, sz.h), func(b *testing.B) {
			m := runWithBigAnswer(b, sz.w, sz.h)
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}

// BenchmarkRunEventLargeResponse: the one-time cost, in Update, of taking
// in a 1 MB answer (pretty-printing, cutting, wrapping).
func BenchmarkRunEventLargeResponse(b *testing.B) {
	m := fixtureModel(b, 120, 40)
	sel, _ := steps.Select([]string{steps.IDContactCenter}, nil, m.vals)
	x := bigExchange()
	b.ReportAllocs()
	for b.Loop() {
		r := m.newRun(sel)
		r.event(runEventMsg{ev: steps.Event{Kind: steps.EventStart, Step: steps.IDContactCenter}, at: time.Now()})
		r.event(runEventMsg{ev: steps.Event{Kind: steps.EventExchange, Step: steps.IDContactCenter, Exchange: x}})
	}
}

func TestMonochromeProfile(t *testing.T) {
	cases := []struct {
		env  []string
		want colorprofile.Profile
		set  bool
	}{
		{[]string{"TERM=xterm-256color"}, 0, false},
		{[]string{"TERM=xterm-256color", "NO_COLOR=1"}, colorprofile.Ascii, true},
		{[]string{"TERM=xterm-256color", "NO_COLOR=yes please"}, colorprofile.Ascii, true},
		{[]string{"TERM=xterm-256color", "NO_COLOR="}, 0, false},
		{[]string{"TERM=dumb"}, colorprofile.NoTTY, true},
	}
	for _, c := range cases {
		got, set := monochrome(c.env)
		if got != c.want || set != c.set {
			t.Errorf("monochrome(%v) = %v, %v; want %v, %v", c.env, got, set, c.want, c.set)
		}
	}
}

// TestMonochromeScreensHaveNoColour renders the run screen with the
// profiles NO_COLOR and TERM=dumb give: no colour sequence reaches the
// terminal, and the states stay readable by their symbols.
func TestMonochromeScreensHaveNoColour(t *testing.T) {
	for _, prof := range []colorprofile.Profile{colorprofile.Ascii, colorprofile.NoTTY} {
		t.Run(prof.String(), func(t *testing.T) {
			m := fixtureModel(t, 80, 24)
			playRun(m, steps.IDTenant)
			h := newHarness(t, m, 80, 24, prof)
			s := h.waitFor(5*time.Second, "Stopped at tenant", "✗  tenant", "✓  auth-client", "› ")
			_ = s
			h.mu.Lock()
			raw := h.raw.String()
			h.mu.Unlock()
			for _, seq := range []string{"\x1b[31m", "\x1b[32m", "\x1b[36m", "38;5;", "38;2;", "\x1b[91m"} {
				if strings.Contains(raw, seq) {
					t.Errorf("colour sequence %q in the output", seq)
				}
			}
		})
	}
}

// TestAccessibleModeIsStill: no spinner animation, a static marker.
func TestAccessibleModeIsStill(t *testing.T) {
	m := fixtureModel(t, 80, 24)
	m.accessible = true
	started := make(chan struct{})
	cmd := m.toRun(steps.Selection{Steps: []steps.Step{blockingStep(started)}})
	m.Update(next(t, cmd))
	if m.ticking {
		t.Error("the spinner ticks in accessible mode")
	}
	if _, cmd := m.Update(m.spin.Tick()); cmd != nil {
		t.Error("a tick asked for another one in accessible mode")
	}
	if v := ansi.Strip(m.View().Content); !strings.Contains(v, "…  slow-step") {
		t.Errorf("no static marker on the running step:\n%s", v)
	}
	m.run.cancel()
	<-m.runDone
}

// lineReader hands out one line per Read, as a terminal does; huh's
// prompts each read through their own buffer.
type lineReader struct{ lines []string }

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, l.lines[0]+"\n")
	l.lines = l.lines[1:]
	return n, nil
}

// TestAccessibleFormPrompts answers the Endpoints page's plain prompts: a
// new value, an invalid one (asked again), and enter to keep.
func TestAccessibleFormPrompts(t *testing.T) {
	m := fixtureModel(t, 80, 24)
	f := newFormScreen(m.vals, m.requiredFor, true)
	form, _ := f.pageForm("")
	var out strings.Builder
	af := &accessibleForm{form: form, title: "Page 1 of 4: Endpoints", accessible: true}
	af.SetStdin(&lineReader{lines: []string{"https://gws2.example.com/", "http://auth.example.com", "https://auth2.example.com", ""}})
	af.SetStdout(&out)
	if err := af.Run(); err != nil {
		t.Fatal(err)
	}
	vals := f.values()
	if got := vals.Get(steps.KeyGWSURL); got != "https://gws2.example.com" {
		t.Errorf("gws_url = %q", got)
	}
	if got := vals.Get(steps.KeyAuthURL); got != "https://auth2.example.com" {
		t.Errorf("auth_url = %q", got)
	}
	if got := vals.Get(steps.KeyNexusURL); got != "https://nexus.example.com" {
		t.Errorf("nexus_url = %q, want the pre-filled value kept", got)
	}
	if !strings.Contains(out.String(), "must use https") {
		t.Errorf("the invalid URL was not refused:\n%s", out.String())
	}
}

func TestDSNPasswordNeverInTheForm(t *testing.T) {
	cases := []struct{ dsn, masked string }{
		{"postgres://nexus:s3cr%2Ft@db:5432/nexus?sslmode=require", "postgres://nexus:****@db:5432/nexus?sslmode=require"},
		{"postgres://nexus@db/nexus", "postgres://nexus@db/nexus"},
		{"postgresql://db/nexus", "postgresql://db/nexus"},
	}
	for _, c := range cases {
		masked, pass := maskDSN(c.dsn)
		if masked != c.masked {
			t.Errorf("maskDSN(%q) = %q", c.dsn, masked)
		}
		if got := unmaskDSN(masked, pass); got != c.dsn {
			t.Errorf("unmaskDSN gives %q, want %q", got, c.dsn)
		}
	}
	// A whole new URL typed over the masked one is taken as typed.
	if got := unmaskDSN("postgres://u:new@h/d", "old"); got != "postgres://u:new@h/d" {
		t.Errorf("a new DSN was changed: %q", got)
	}
	m := fixtureModel(t, 80, 24)
	f := newFormScreen(m.vals, m.requiredFor, false)
	if strings.Contains(*f.strs[steps.KeyDBURL], goldenSecrets["db_password"]) {
		t.Error("the form holds the database password in its field")
	}
	if got := f.values().Get(steps.KeyDBURL); got != m.vals.Get(steps.KeyDBURL) {
		t.Errorf("an untouched DSN comes back as %q", got)
	}
	// Leaving the page (twice) keeps the hidden password, and hides one typed.
	f.page = f.pageOf(steps.KeyDBURL)
	f.maskDSNs()
	f.maskDSNs()
	if got := f.values().Get(steps.KeyDBURL); got != m.vals.Get(steps.KeyDBURL) {
		t.Errorf("after leaving the page the DSN is %q", got)
	}
	*f.strs[steps.KeyDBURL] = "postgres://nexus:typed-Pa55@db2/nexus"
	f.maskDSNs()
	if *f.strs[steps.KeyDBURL] != "postgres://nexus:****@db2/nexus" || f.values().Get(steps.KeyDBURL) != "postgres://nexus:typed-Pa55@db2/nexus" {
		t.Errorf("a typed DSN: field %q, value %q", *f.strs[steps.KeyDBURL], f.values().Get(steps.KeyDBURL))
	}
}

func TestWrapKeepsIndentAndWidth(t *testing.T) {
	cases := []struct {
		in   string
		w    int
		want []string
	}{
		{"short", 20, []string{"short"}},
		{"  \"value\": \"https://nexus.example.com/a/very/long/path\"", 24, []string{`  "value": "https://`, `  nexus.example.com/a/`, `  very/long/path"`}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
	}
	for _, c := range cases {
		got := wrap(c.in, c.w)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", c.in, c.w, got, c.want)
		}
		for _, l := range got {
			if len([]rune(l)) > c.w {
				t.Errorf("line %q wider than %d", l, c.w)
			}
		}
	}
}

func TestIndentPrefixMatchesPretty(t *testing.T) {
	for _, js := range []string{
		`{"a":1,"b":[1,2,{"c":"x,y:{z}"}],"d":{},"e":[ ]}`,
		`[{"k":"v\"q","n":null,"t":true}]`,
		`{"status":{"code":0,"message":""},"data":{"contactCenters":[{"id":"x","domains":["a","b"]}]}}`,
	} {
		got, cut := indentPrefix(js, 1<<20)
		if want := httpx.Pretty(js); got != want || cut {
			t.Errorf("indentPrefix(%s) =\n%s\nwant\n%s", js, got, want)
		}
	}
	got, cut := indentPrefix(`{"a":"`+strings.Repeat("x", 100)+`"}`, 20)
	if !cut || !strings.HasPrefix(got, "{\n  \"a\": \"xxxx") {
		t.Errorf("a cut body: %q, cut %v", got, cut)
	}
	if got, _ := indentPrefix("not json", 3); got != "not" {
		t.Errorf("text is only cut: %q", got)
	}
}

// TestFormKeepsUpWithABurst types pages of answers in one burst, as a
// paste or tmux would: every character lands in the field it was meant
// for, a refused value stops the burst there, and Esc keeps what was typed.
func TestFormKeepsUpWithABurst(t *testing.T) {
	m := fixtureModel(t, 100, 40)
	m.pending = m.enterForm(0, "", "")
	h := newHarness(t, m, 100, 40, colorprofile.ANSI)
	h.waitFor(5*time.Second, "1 Endpoints", "GWS URL")
	h.burst("ctrl+u", "https://gws2.example.com", "enter", "ctrl+u", "http://auth.example.com", "enter")
	h.waitFor(5*time.Second, "Auth URL: must use https")
	// The refused value keeps the focus: what follows goes to the same field.
	h.burst("ctrl+u", "x")
	h.waitFor(5*time.Second, "┃ > x")
	h.burst("ctrl+u", "https://auth2.example.com/", "enter", "enter", "enter", "ctrl+u", "ops2", "enter", "enter", "ctrl+u", "nexus2", "esc")
	s := h.waitFor(5*time.Second, "> https://gws2.example.com", "> https://auth2.example.com")
	if strings.Contains(s, "ops2") || strings.Contains(s, "nexus2") {
		t.Errorf("keys for the next page landed on this one:\n%s", s)
	}
	h.burst("enter", "enter", "enter", "enter")
	s = h.waitFor(5*time.Second, "> ops2")
	if strings.Contains(s, "> ops2nexus2") || strings.Contains(s, "https://") {
		t.Errorf("keys landed in the wrong field:\n%s", s)
	}
	m = h.quit()
	f := m.form
	if got := normalize(steps.Inputs[1], *f.strs[steps.KeyAuthURL]); got != "https://auth2.example.com" {
		t.Errorf("auth_url = %q", got)
	}
	if got := *f.strs[steps.KeyTenantUser]; got != "nexus2" {
		t.Errorf("tenant_user = %q (typed before esc)", got)
	}
	if got := *f.strs[steps.KeyAdminPassword]; got != goldenSecrets[steps.KeyAdminPassword] {
		t.Error("the ops password changed: keys went to the wrong field")
	}
}

// A request that is out and unanswered shows as waiting, then gives way to
// the exchange once the answer is in.
func TestPreviewShowsRequestInFlight(t *testing.T) {
	m := fixtureModel(t, 100, 30)
	sel, _ := steps.Select([]string{steps.IDContactCenter}, nil, m.vals)
	r := m.newRun(sel)
	r.active = true
	r.event(runEventMsg{ev: steps.Event{Kind: steps.EventStart, Step: steps.IDContactCenter}, at: time.Now()})
	req := &httpx.Exchange{Method: "GET", URL: "https://auth.example.com/environment/v3/contact-centers", Attempt: 1, Pending: true}
	r.event(runEventMsg{ev: steps.Event{Kind: steps.EventRequest, Step: steps.IDContactCenter, Exchange: req}})
	if v := m.View().Content; !strings.Contains(v, "waiting for the answer") || !strings.Contains(v, "→ GET https://auth.example.com") {
		t.Fatalf("no request in flight on screen:\n%s", v)
	}
	done := *req
	done.Pending, done.Status, done.Duration = false, 200, time.Millisecond
	r.event(runEventMsg{ev: steps.Event{Kind: steps.EventExchange, Step: steps.IDContactCenter, Exchange: &done}})
	if v := m.View().Content; strings.Contains(v, "waiting for the answer") || !strings.Contains(v, "← 200") {
		t.Fatalf("answer not shown in place of the wait:\n%s", v)
	}
}
