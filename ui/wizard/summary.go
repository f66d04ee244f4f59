package wizard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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
	sh            *session
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
	clientAccount string   // keyring account of the client secret
	inMemory      bool     // the sandbox keeps its secrets in memory
	written       []string // "what: path" of the files x and w wrote
	// confirmPrint: p was pressed and the key fetched; y confirms printing it.
	confirmPrint bool
	// printKey is the API key to print to the terminal after the wizard
	// closes (p, then y): OSC 52 may be dropped, the scrollback is not.
	printKey string
}

type (
	apiKeyMsg struct {
		gen   int
		key   string
		found bool
		err   string
		copy  bool
		print bool // p: ask, then print it after the wizard closes
	}
	reportMsg struct {
		path string
		err  error
		what string // "" for the report
	}
)

// newSummaryScreen lays out the summary of the saved state.
func newSummaryScreen(m *session) *summaryScreen {
	s := &summaryScreen{sh: m, gen: m.nextGen(), pane: newPane(), cursor: 1, cc: m.vals.Get(steps.KeyCCID),
		clientAccount: steps.KeyringAccount(m.vals, steps.OutClientSecret), inMemory: m.params.KeyringNote != ""}
	if m.state != nil {
		for _, st := range steps.All {
			if rec, ok := m.state.Steps[st.ID]; ok {
				s.recs = append(s.recs, rec)
			}
		}
	}
	return s
}

func (s *summaryScreen) Busy() bool    { return false }
func (s *summaryScreen) Crumb() string { return "Summary" }

func (s *summaryScreen) Keys() helpKeys {
	k := s.sh.keys
	short := []key.Binding{k.Reveal, k.Copy, k.Export, k.Nav, k.Menu, k.Help, k.Quit}
	acts := []key.Binding{k.Reveal, k.Copy, k.Export}
	if s.manualSQL() != "" {
		short = append([]key.Binding{k.WriteSQL}, short...)
		acts = append(acts, k.WriteSQL)
	}
	return helpKeys{short: short, full: [][]key.Binding{acts, {k.Up, k.Down, k.PageUp, k.PageDown}, {k.Menu, k.Back, k.Help, k.Quit}}}
}

func (s *summaryScreen) SetSize(w, h int) {
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
	ok, failed, manual, notRun := 0, "", []string(nil), 0
	for _, r := range s.recs {
		switch {
		case r.Status == steps.StatusFailed && failed == "":
			failed = r.ID
		case r.Status == steps.StatusManual:
			manual = append(manual, r.ID)
		case r.Status == steps.StatusNotRun:
			notRun++
		case r.Status.OK():
			ok++
		}
	}
	switch {
	case failed != "":
		out = append(out, styled{text: fmt.Sprintf("%s Not finished: %s failed (m opens the step menu to re-run it)", symFail, failed), style: &stFail})
	case len(s.recs) < len(steps.All) || notRun > 0:
		out = append(out, styled{text: fmt.Sprintf("%d of %d steps have run for contact center %s", len(s.recs)-notRun, len(steps.All), cc), style: &stWarn})
	case len(manual) > 0:
		// Not complete while a step is the user's to do.
		out = append(out, styled{text: fmt.Sprintf("%s %d of %d steps done for contact center %s; %d for you to do by hand (%s), below.",
			symManual, ok, len(steps.All), cc, len(manual), strings.Join(manual, ", ")), style: &stWarn})
		manual = nil
	default:
		out = append(out, styled{text: symOK + " Onboarding complete for contact center " + cc, style: &stOK})
	}
	if len(manual) > 0 {
		out = append(out, styled{text: fmt.Sprintf("%s For you to do by hand, below: %s.", symManual, strings.Join(manual, ", ")), style: &stWarn})
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
		{text: "  read one back:", style: &stDim},
		{text: "    secret-tool lookup service " + secrets.Service + " username " + secrets.Account(cc, secrets.NexusAPIKey), style: &stDim, noWrap: true}}
	if s.inMemory {
		// The sandbox without an OS keyring: nothing to read back later.
		out = []styled{{}, {text: "Secrets in memory (no OS keyring answered): gone when the sandbox stops", style: &stSection},
			{text: "  client secret   " + s.clientAccount},
			{text: "  Nexus API key   " + secrets.Account(cc, secrets.NexusAPIKey) + "  (r reveals it while the sandbox runs)"}}
	}
	for _, r := range s.recs {
		if m := steps.ManualOf(r); m != nil && m.SQL != "" {
			out = append(out, styled{}, styled{text: stepTitle(r.ID) + " (by hand: w saves this SQL to a file for psql)", style: &stSection})
			out = append(out, sqlLines(m.SQL, w)...)
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
			body = append(body, wrapStyled([]styled{{text: "       " + symWarn + " " + r.Warning, style: &stWarn}}, w)...)
		}
	}
	body = append(body, "", stDim.Render(clip("x writes a redacted Markdown report of the whole run, for a ticket.", w)))
	for _, f := range s.written {
		body = append(body, "  "+f) // a path: whole, never wrapped
	}
	for i, l := range body {
		if ansiWidth(l) > w {
			hint := stDim.Render(clip("    (→ marks a line cut at the edge, never wrapped: ←/→ scroll sideways)", w))
			return slices.Insert(body, i+1, hint)
		}
	}
	return body
}

func (s *summaryScreen) Update(msg tea.Msg) tea.Cmd {
	m := s.sh
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
			m.setNotice(noticeInfo, "%s", copiedKeyNotice)
			return tea.SetClipboard(msg.key)
		}
		if msg.print {
			s.apiKey = msg.key
			s.askPrint()
			return nil
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
			// The path, whole, on a line of its own at the end of the
			// summary; the notice names it when it fits.
			s.written = append(s.written, what+": "+msg.path)
			s.version++
			s.refresh()
			s.pane.vp.GotoBottom()
			if n := fmt.Sprintf("The %s is in %s", what, msg.path); ansiWidth(n)+2 <= m.width {
				m.setNotice(noticeOK, "%s", n)
			} else {
				m.setNotice(noticeOK, "The %s is in the file named at the end of the summary.", what)
			}
		}
	case tea.KeyPressMsg:
		k := m.keys
		if s.confirmPrint {
			s.confirmPrint = false
			if key.Matches(msg, k.Yes) && msg.String() != "ctrl+c" {
				s.printKey = s.apiKey
				m.setNotice(noticeOK, "The Nexus API key will be printed to the terminal after the wizard closes (q).")
			} else {
				m.setNotice(noticeInfo, "Not printed.")
			}
			if !s.revealed {
				s.apiKey = ""
			}
			return nil
		}
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
		case key.Matches(msg, k.Left), key.Matches(msg, k.Right):
			s.pane.pan(key.Matches(msg, k.Right))
		case key.Matches(msg, k.Reveal):
			if s.revealed {
				s.revealed, s.apiKey = false, ""
				s.version++
				break
			}
			return s.fetchAPIKey(false)
		case key.Matches(msg, k.Copy):
			kv := steps.DesignerEnv("")[s.cursor]
			if kv[0] != "password" {
				m.setNotice(noticeInfo, "Sent %s to the terminal's clipboard (OSC 52); some terminals and tmux drop it.", kv[0])
				return tea.SetClipboard(kv[1])
			}
			if s.revealed && s.apiKey != "" {
				m.setNotice(noticeInfo, "%s", copiedKeyNotice)
				return tea.SetClipboard(s.apiKey)
			}
			return s.fetchAPIKey(true)
		case key.Matches(msg, k.PrintKey):
			if s.revealed && s.apiKey != "" {
				s.askPrint()
				return nil
			}
			return s.fetchAPIKeyFor(false, true)
		case key.Matches(msg, k.Export):
			return s.exportReport()
		case key.Matches(msg, k.WriteSQL) && s.manualSQL() != "":
			return s.writeSQL(s.manualSQL())
		case key.Matches(msg, k.Menu), key.Matches(msg, k.Back):
			s.apiKey, s.revealed = "", false
			return m.goTo(goMenuMsg{})
		}
	}
	s.refresh()
	return nil
}

// sqlLines shows SQL to paste into psql: code lines whole (noWrap), comment
// lines wrapped as comments, so what is pasted stays valid SQL.
func sqlLines(sql string, w int) []styled {
	var out []styled
	for _, l := range strings.Split(sql, "\n") {
		body, ok := strings.CutPrefix(strings.TrimLeft(l, " "), "-- ")
		if !ok || ansiWidth(l)+2 <= w {
			out = append(out, styled{text: "  " + l, noWrap: true})
			continue
		}
		lead := l[:len(l)-len(strings.TrimLeft(l, " "))]
		for _, piece := range wrap(body, max(w-len(lead)-5, 8)) {
			out = append(out, styled{text: "  " + lead + "-- " + piece, noWrap: true})
		}
	}
	return out
}

// manualSQL is the SQL a manual step left for the admin to run, if any.
func (s *summaryScreen) manualSQL() string {
	for _, r := range s.recs {
		if m := steps.ManualOf(r); m != nil && m.SQL != "" {
			return m.SQL
		}
	}
	return ""
}

// stepTitle is a step's title, or its id when it has none.
func stepTitle(id string) string {
	if st, ok := steps.Lookup(id); ok && st.Title != "" {
		return st.Title
	}
	return id
}

// writeSQL saves the manual SQL as the file its comments name.
func (s *summaryScreen) writeSQL(sql string) tea.Cmd {
	dir := s.sh.store.Dir
	return func() tea.Msg {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return reportMsg{err: err}
		}
		path := filepath.Join(dir, "nex_gapis.sql")
		return reportMsg{path: path, err: os.WriteFile(path, []byte(sql+"\n"), 0o600), what: "SQL"}
	}
}

// copiedKeyNotice says what c did with the key: sent, not known to have
// arrived; p is the way that always works.
const copiedKeyNotice = "Sent the Nexus API key to the terminal's clipboard (OSC 52); some terminals and tmux drop it: p prints it after the wizard closes."

// askPrint asks before the key goes to the terminal's scrollback.
func (s *summaryScreen) askPrint() {
	s.confirmPrint = true
	s.sh.setNotice(noticeErr, "The key will be printed to the terminal after the wizard closes, and stays in its scrollback. y prints it; any other key cancels.")
}

// AfterExit is what the wizard prints to the terminal once its screen has
// closed: the Nexus API key when p, y asked for it, else "".
func (m *model) AfterExit() string {
	if m.sum == nil || m.sum.printKey == "" {
		return ""
	}
	return fmt.Sprintf("Nexus API key of contact center %s (the DesignerEnv password option):\n%s", m.sum.cc, m.sum.printKey)
}

// fetchAPIKey reads the tenant's Nexus API key from the keyring.
func (s *summaryScreen) fetchAPIKey(copy bool) tea.Cmd { return s.fetchAPIKeyFor(copy, false) }

// fetchAPIKeyFor reads the key to copy it, to print it after exit, or to
// reveal it.
func (s *summaryScreen) fetchAPIKeyFor(copy, print bool) tea.Cmd {
	m := s.sh
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
		msg := apiKeyMsg{gen: gen, key: v, found: found && ours, copy: copy, print: print}
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
func (s *summaryScreen) exportReport() tea.Cmd {
	m := s.sh
	if err := m.ensureEnv(); err != nil {
		m.setNotice(noticeErr, "%s", err.Error())
		return nil
	}
	vals, recs, red, dir := m.vals.Clone(), s.recs, m.env.Redactor, m.store.Dir
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

func (s *summaryScreen) View() string { return s.pane.view() }
