package wizard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nexus-onboard/nexus-onboard/clients/redact"
	"github.com/nexus-onboard/nexus-onboard/clients/secrets"
	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Summary: each step's outcome, where each secret lives, the DesignerEnv
// values ready to copy (the API key masked until revealed), and the export
// of a redacted Markdown report.

type summaryScreen struct {
	gen           int
	recs          []*steps.Record // in procedure order
	cursor        int             // DesignerEnv option
	apiKey        string          // only while revealed or being copied
	revealed      bool
	fetching      bool
	cancel        context.CancelFunc
	pane          pane
	version       int
	w, h          int
	cc            string
	clientAccount string // keyring account of the client secret
}

type (
	apiKeyMsg struct {
		gen   int
		key   string
		found bool
		err   string
		copy  bool
	}
	reportMsg struct {
		path string
		err  error
		what string // "" for the report
	}
)

func (m *model) toSummary() tea.Cmd {
	m.screen = scrSummary
	m.fullHelp = false
	m.clearNotice()
	s := &summaryScreen{gen: m.nextGen(), pane: newPane(), cursor: 1, cc: m.vals.Get(steps.KeyCCID),
		clientAccount: steps.KeyringAccount(m.vals, steps.OutClientSecret)}
	if m.state != nil {
		for _, st := range steps.All {
			if rec, ok := m.state.Steps[st.ID]; ok {
				s.recs = append(s.recs, rec)
			}
		}
	}
	if m.sum != nil && m.sum.cancel != nil {
		m.sum.cancel()
	}
	m.sum = s
	bw, bh := m.bodySize()
	s.layout(bw, bh)
	return nil
}

func (s *summaryScreen) layout(w, h int) {
	s.w, s.h = w, h
	s.pane.setSize(w, h)
	s.refresh()
}

// designerValues are the DesignerEnv options; the key is masked unless
// revealed.
func (s *summaryScreen) designerValues() [][2]string {
	k := redact.Mask + "  (r reveals it, c copies it)"
	if s.revealed && s.apiKey != "" {
		k = s.apiKey
	}
	return steps.DesignerEnv(k)
}

func (s *summaryScreen) refresh() {
	key := fmt.Sprintf("summary#%d", s.version)
	s.pane.show(key, s.lines, false)
}

func (s *summaryScreen) lines(w int) []string {
	cc := s.cc
	var out []styled
	ok, failed, manual, notRun := 0, "", 0, 0
	for _, r := range s.recs {
		switch {
		case r.Status == steps.StatusFailed && failed == "":
			failed = r.ID
		case r.Status == steps.StatusManual:
			manual++
		case r.Status == steps.StatusNotRun:
			notRun++
		case r.Status.OK():
			ok++
		}
	}
	switch {
	case failed != "":
		out = append(out, styled{text: fmt.Sprintf("✗ Not finished: %s failed (m opens the step menu to re-run it)", failed), style: &stFail})
	case len(s.recs) < len(steps.All) || notRun > 0:
		out = append(out, styled{text: fmt.Sprintf("%d of %d steps have run for contact center %s", len(s.recs)-notRun, len(steps.All), cc), style: &stWarn})
	default:
		out = append(out, styled{text: "✓ Onboarding complete for contact center " + cc, style: &stOK})
	}
	if manual > 0 {
		out = append(out, styled{text: fmt.Sprintf("✋ %d step(s) for you to do by hand, below.", manual), style: &stWarn})
	}

	out = append(out, styled{}, styled{text: "DesignerEnv transaction (by hand, in Agent Setup)", style: &stSection},
		styled{text: `  Environment tenant › Transactions › List "DesignerEnv" (name and alias), options:`})
	var body []string
	for _, l := range wrapStyled(out, w) {
		body = append(body, l)
	}
	for i, kv := range s.designerValues() {
		cur := "  "
		if i == s.cursor {
			cur = cursorMark + " "
		}
		line := cur + padRight(kv[0], 10) + kv[1]
		if i == s.cursor {
			line = stSelected.Render(line)
		}
		body = append(body, clip(line, w))
	}

	out = []styled{{}, {text: "Secrets in the OS keyring (service " + secrets.Service + ")", style: &stSection},
		{text: "  client secret   " + s.clientAccount},
		{text: "  Nexus API key   " + secrets.Account(cc, secrets.NexusAPIKey)},
		{text: "  read one back:  secret-tool lookup service " + secrets.Service + " username " + secrets.Account(cc, secrets.NexusAPIKey), style: &stDim}}
	for _, r := range s.recs {
		if r.ID == steps.IDRegisterGWS && r.Status == steps.StatusManual && r.Outputs["sql"] != "" {
			out = append(out, styled{}, styled{text: "Register GWS in nex_gapis (by hand: w saves this SQL to a file for psql)", style: &stSection})
			for _, l := range strings.Split(r.Outputs["sql"], "\n") {
				out = append(out, styled{text: "  " + l})
			}
		}
	}
	body = append(body, wrapStyled(out, w)...)
	body = append(body, "", stSection.Render("Steps")+stDim.Render(" (the step menu, m, has each one's details)"))
	for _, r := range s.recs {
		msg := r.Message
		if r.Error != "" {
			msg = r.Error
		}
		line := "  " + mark(r.Status, "") + " " + padRight(r.ID, 17) + padRight(string(r.Status), 14)
		body = append(body, line+clip(msg, max(w-ansiWidth(line), 0)))
		if r.Warning != "" {
			body = append(body, wrapStyled([]styled{{text: "       ⚠ " + r.Warning, style: &stWarn}}, w)...)
		}
	}
	return append(body, "", stDim.Render(clip("x writes a redacted Markdown report of the whole run, for a ticket.", w)))
}

func (m *model) updateSummary(msg tea.Msg) tea.Cmd {
	s := m.sum
	switch msg := msg.(type) {
	case apiKeyMsg:
		if msg.gen != s.gen {
			return nil
		}
		s.fetching = false
		switch {
		case msg.err != "":
			m.setNotice(noticeErr, "%s", msg.err)
			return nil
		case !msg.found:
			m.setNotice(noticeErr, "The keyring has no Nexus API key for this contact center: the tenant step has not stored one.")
			return nil
		}
		if msg.copy {
			m.setNotice(noticeOK, "Copied the Nexus API key to the clipboard (OSC 52): paste it as the password option.")
			return tea.SetClipboard(msg.key)
		}
		s.apiKey, s.revealed = msg.key, true
		s.version++
		s.refresh()
		m.clearNotice()
	case reportMsg:
		what := "report"
		if msg.what != "" {
			what = msg.what
		}
		if msg.err != nil {
			m.setNotice(noticeErr, "Could not write the %s: %v", what, msg.err)
		} else {
			m.setNotice(noticeOK, "The %s is in %s", what, msg.path)
		}
	case tea.KeyPressMsg:
		k := m.keys
		switch {
		case key.Matches(msg, k.Up):
			s.cursor = (s.cursor + 2) % 3
			s.version++
		case key.Matches(msg, k.Down):
			s.cursor = (s.cursor + 1) % 3
			s.version++
		case key.Matches(msg, k.PageUp):
			s.pane.vp.HalfPageUp()
		case key.Matches(msg, k.PageDown):
			s.pane.vp.HalfPageDown()
		case key.Matches(msg, k.Reveal):
			if s.revealed {
				s.revealed, s.apiKey = false, ""
				s.version++
				break
			}
			return m.fetchAPIKey(false)
		case key.Matches(msg, k.Copy):
			kv := steps.DesignerEnv("")[s.cursor]
			if kv[0] != "password" {
				m.setNotice(noticeOK, "Copied %s to the clipboard (OSC 52).", kv[0])
				return tea.SetClipboard(kv[1])
			}
			if s.revealed && s.apiKey != "" {
				m.setNotice(noticeOK, "Copied the Nexus API key to the clipboard (OSC 52): paste it as the password option.")
				return tea.SetClipboard(s.apiKey)
			}
			return m.fetchAPIKey(true)
		case key.Matches(msg, k.Export):
			return m.exportReport()
		case key.Matches(msg, k.WriteSQL) && s.manualSQL() != "":
			return m.writeSQL(s.manualSQL())
		case key.Matches(msg, k.Menu), key.Matches(msg, k.Back):
			s.apiKey, s.revealed = "", false
			return m.toMenu()
		}
	}
	s.refresh()
	return nil
}

// manualSQL is the SQL register-gws left for the admin to run, if any.
func (s *summaryScreen) manualSQL() string {
	for _, r := range s.recs {
		if r.ID == steps.IDRegisterGWS && r.Status == steps.StatusManual {
			return r.Outputs["sql"]
		}
	}
	return ""
}

// writeSQL saves the manual SQL as the file its comments name.
func (m *model) writeSQL(sql string) tea.Cmd {
	dir := m.store.Dir
	return func() tea.Msg {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return reportMsg{err: err}
		}
		path := filepath.Join(dir, "nex_gapis.sql")
		return reportMsg{path: path, err: os.WriteFile(path, []byte(sql+"\n"), 0o600), what: "SQL"}
	}
}

// fetchAPIKey reads the tenant's Nexus API key from the keyring.
func (m *model) fetchAPIKey(copy bool) tea.Cmd {
	s := m.sum
	if s.fetching {
		return nil
	}
	if err := m.ensureEnv(); err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	s.fetching = true
	env, gen := m.env, s.gen
	if m.state != nil {
		env.UseState(m.state)
	}
	ctx, cancel := context.WithTimeout(m.ctx, 10*time.Second)
	s.cancel = cancel
	return func() tea.Msg {
		defer cancel()
		// Only a key known to be this environment's tenant's is shown.
		v, found, ours, why, err := steps.TenantKey(ctx, env)
		msg := apiKeyMsg{gen: gen, key: v, found: found && ours, copy: copy}
		switch {
		case err != nil:
			msg.err = env.Redactor.Error(err)
		case found && !ours:
			msg.err = why
		}
		return msg
	}
}

// exportReport writes the Markdown report next to the state file.
func (m *model) exportReport() tea.Cmd {
	if err := m.ensureEnv(); err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	vals, recs, red, dir := m.vals.Clone(), m.sum.recs, m.env.Redactor, m.store.Dir
	cc := vals.Get(steps.KeyCCID)
	return func() tea.Msg {
		now := time.Now()
		text := steps.Report(vals, recs, red, now)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return reportMsg{err: err}
		}
		path := filepath.Join(dir, fmt.Sprintf("report-%s-%s.md", cc, now.Format("20060102-150405")))
		return reportMsg{path: path, err: os.WriteFile(path, []byte(text), 0o600)}
	}
}

func (s *summaryScreen) view(*model) string { return s.pane.view() }
