package wizard

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/nexus-onboard/nexus-onboard/steps"
)

// Preflight: the checks of steps.PreflightChecks side by side, each with its
// own spinner. Nothing is changed; a failure names the input to fix.

type checkRow struct {
	name, key  string
	done       bool
	notChecked bool   // the note says why; neither a pass nor a failure
	waits      string // the check it needed, which did not pass
	note, err  string
	fix        steps.Fix
	dur        time.Duration
}

type preflightScreen struct {
	sh            *session
	w             int // the body's width
	gen           int
	rows          []checkRow
	cancel        context.CancelFunc
	cursor        int  // among the failed rows
	confirmRotate bool // R was pressed once: the next R rotates
	results       chan steps.CheckResult
}

type checkDoneMsg struct {
	gen    int
	result steps.CheckResult
}

func (p *preflightScreen) pending() int {
	n := 0
	for _, r := range p.rows {
		if !r.done {
			n++
		}
	}
	return n
}

func (p *preflightScreen) notChecked() int {
	n := 0
	for _, r := range p.rows {
		if r.done && r.notChecked {
			n++
		}
	}
	return n
}

func (p *preflightScreen) failed() []int {
	var out []int
	for i, r := range p.rows {
		if r.done && r.err != "" {
			out = append(out, i)
		}
	}
	return out
}

// rotatable reports whether a failed check is fixed by giving the Auth
// client a new secret.
func (p *preflightScreen) rotatable() bool {
	for _, i := range p.failed() {
		if p.rows[i].fix == steps.FixRotateSecret {
			return true
		}
	}
	return false
}

// next waits for the next check to end.
func (p *preflightScreen) next() tea.Cmd {
	if p.pending() == 0 {
		return nil
	}
	gen, results := p.gen, p.results
	return func() tea.Msg { return checkDoneMsg{gen: gen, result: <-results} }
}

func (p *preflightScreen) SetSize(w, _ int) { p.w = w }
func (p *preflightScreen) Busy() bool       { return p.pending() > 0 }
func (p *preflightScreen) Crumb() string    { return "Preflight" }

func (p *preflightScreen) Update(msg tea.Msg) tea.Cmd {
	m := p.sh
	switch msg := msg.(type) {
	case checkDoneMsg:
		res := msg.result
		if msg.gen != p.gen || res.Index >= len(p.rows) {
			return nil
		}
		r := &p.rows[res.Index]
		r.done, r.notChecked, r.waits, r.note, r.err, r.dur = true, res.NotChecked, res.Waits, res.Note, res.Err, res.Duration
		r.fix = steps.FixOf(res.Cause)
		if res.Fix != "" {
			r.key = res.Fix
		}
		if p.pending() > 0 {
			return p.next()
		}
		p.cancel()
		if f := p.failed(); len(f) > 0 {
			m.setNotice(noticeErr, "%s failed: nothing was changed.", steps.Plural(len(f), "check"))
		} else if n := p.notChecked(); n > 0 {
			m.setNotice(noticeOK, "All checks passed; %d not checked yet (why is shown above). Press enter to review the plan.", n)
		} else {
			m.setNotice(noticeOK, "All checks passed. Press enter to review the plan.")
		}
	case tea.KeyPressMsg:
		failed := p.failed()
		switch {
		case key.Matches(msg, m.keys.Back):
			p.cancel()
			m.clearNotice()
			return m.goTo(goBackMsg{})
		case key.Matches(msg, m.keys.Recheck) && p.pending() == 0:
			return m.goTo(goPreflightMsg{})
		case key.Matches(msg, m.keys.Rotate) && p.pending() == 0 && p.rotatable():
			if !p.confirmRotate {
				p.confirmRotate = true
				m.setNotice(noticeErr, "Press R again to give client %s a new secret: Auth, the keyring and nex_gapis (register-gws) get it; the old secret stops working.", m.vals.Get(steps.KeyClientID))
				return nil
			}
			p.cancel()
			m.clearNotice()
			return m.startRotation()
		case key.Matches(msg, m.keys.Up) && len(failed) > 0:
			p.cursor = (p.cursor + len(failed) - 1) % len(failed)
		case key.Matches(msg, m.keys.Down) && len(failed) > 0:
			p.cursor = (p.cursor + 1) % len(failed)
		case key.Matches(msg, m.keys.Enter) && p.pending() == 0:
			if len(failed) == 0 {
				m.clearNotice()
				return m.goTo(goPlanMsg{})
			}
			r := p.rows[failed[min(p.cursor, len(failed)-1)]]
			if _, isInput := steps.LookupInput(r.key); !isInput {
				m.setNotice(noticeErr, "%s: fix it outside the wizard, then press r to check again.", r.name)
				return nil
			}
			m.clearNotice()
			return m.goTo(goFormAt(r.key, r.name+": "+r.err))
		}
	}
	return nil
}

// problemsText lists input problems on one line each.
func problemsText(ps steps.Problems) string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// Keys: the short list ends with back, keys and quit; the full help puts
// those three on a line of their own.
func (p *preflightScreen) Keys() helpKeys {
	k := p.sh.keys
	short := p.shortKeys()
	return helpKeys{short: short, full: [][]key.Binding{short[:len(short)-3], {k.Back, k.Help, k.Quit}}}
}

func (p *preflightScreen) shortKeys() []key.Binding {
	k := p.sh.keys
	if p.pending() > 0 {
		return []key.Binding{k.Back, k.Help, k.Quit}
	}
	if failed := p.failed(); len(failed) > 0 {
		var out []key.Binding
		if _, isInput := steps.LookupInput(p.rows[failed[min(p.cursor, len(failed)-1)]].key); isInput {
			out = append(out, k.Fix)
		}
		out = append(out, k.Nav, k.Recheck)
		if p.rotatable() {
			out = append(out, k.Rotate)
		}
		return append(out, k.Back, k.Help, k.Quit)
	}
	cont := key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "review the plan"))
	return []key.Binding{cont, k.Recheck, k.Back, k.Help, k.Quit}
}

func (p *preflightScreen) View() string {
	m, w := p.sh, p.w
	var b strings.Builder
	b.WriteString(stBold.Render("Preflight checks") + stDim.Render(" — read-only: nothing is changed before you confirm the plan.") + "\n\n")
	failed := p.failed()
	sel := -1
	if len(failed) > 0 {
		sel = failed[min(p.cursor, len(failed)-1)]
	}
	nameW := 34
	for i, r := range p.rows {
		cur := "  "
		if i == sel {
			cur = cursorMark + " "
		}
		st := steps.StatusRunning
		switch {
		case r.done && r.err != "":
			st = steps.StatusFailed
		case r.done && r.notChecked:
			st = steps.StatusSkipped
		case r.done:
			st = steps.StatusDone
		}
		line := cur + mark(st, m.spinFrame()) + " " + padRight(r.name, nameW)
		if r.done {
			note := r.note
			if r.notChecked && len(note) > w-nameW-14 {
				note = "not checked" // why: on the next lines, or the failure above
			}
			if r.err != "" {
				note = "failed"
				if _, ok := steps.LookupInput(r.key); ok {
					note += ": check " + r.key
				}
			}
			room := w - nameW - 14
			dur := fmtDur(r.dur)
			if r.notChecked && r.dur == 0 {
				dur = "" // it never ran
			}
			line += " " + padRight(clip(note, room), room) + " " + padLeft(dur, 6)
		}
		if i == sel {
			line = stSelected.Render(line)
		}
		b.WriteString(line + "\n")
		switch {
		case r.err != "" && i == sel:
			// Commands in it (a remedy) go whole on their own lines.
			for _, l := range wrapStyled([]styled{{text: r.err, style: &stFail}}, w-8) {
				b.WriteString("       " + l + "\n")
			}
		case r.err != "":
			// Only the highlighted failure is told in full: the list must fit.
			b.WriteString("       " + stDim.Render(clip(r.err, w-8)) + "\n")
		case r.notChecked && r.waits == "" && len(r.note) > w-nameW-14:
			// Why it was not checked, whole: it says what comes first.
			for _, l := range wrap(notCheckedWhy(r), w-8) {
				b.WriteString("       " + stDim.Render(l) + "\n")
			}
		}
	}
	if p.pending() == 0 && len(failed) > 0 {
		r := p.rows[sel]
		b.WriteString("\n")
		if r.fix == steps.FixRotateSecret {
			b.WriteString("R gives the client a new secret (you confirm first); r checks again.")
		} else if _, ok := steps.LookupInput(r.key); ok {
			b.WriteString(fmt.Sprintf("enter opens %s in the form; r checks again.", stBold.Render(r.key)))
		} else {
			b.WriteString("Fix it outside the wizard, then press r to check again; q leaves this text whole in the terminal.")
		}
	}
	return b.String()
}

// notCheckedWhy is a not-checked row's reason, without the "not checked:"
// its row already says.
func notCheckedWhy(r checkRow) string { return strings.TrimPrefix(r.note, "not checked: ") }
