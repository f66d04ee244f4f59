package wizard

import (
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	huh "charm.land/huh/v2"
)

// Keys typed faster than huh moves between fields (a paste, tmux, a fast
// typist: huh moves focus through a command round trip) are held and
// replayed once the move is done, so no character lands in the field just
// left. The same holds while a page is being built (discovery).

// holding reports whether keys must wait.
func (f *formScreen) holding() bool {
	if f.navFrom != nil && (f.form == nil || f.form.GetFocusedField() != f.navFrom ||
		f.form.State != huh.StateNormal || time.Since(f.navAt) > 300*time.Millisecond) {
		// The move happened (or never will: a field refused the value).
		f.navFrom = nil
	}
	return f.form == nil || f.discovering || f.navFrom != nil || (f.form != nil && f.form.State != huh.StateNormal)
}

func (f *formScreen) formKey(km tea.KeyPressMsg) tea.Cmd {
	m := f.sh
	if f.holding() {
		f.queued = append(f.queued, km)
		return nil
	}
	if key.Matches(km, m.keys.FormBack) {
		return f.prevPage()
	}
	before := f.form.GetFocusedField()
	cmd := f.update(km)
	if cmd != nil && f.form.GetFocusedField() == before && key.Matches(km, m.keys.FormNext, m.keys.FormPrev) {
		f.navFrom, f.navAt = before, time.Now()
	}
	return cmd
}

// flushKeys replays held keys once the form takes them again; keys held
// when the form is left are dropped.
func (f *formScreen) flushKeys() tea.Cmd {
	if f.sh.leaving() {
		f.queued = nil
		return nil
	}
	var cmds []tea.Cmd
	for len(f.queued) > 0 && !f.holding() {
		k := f.queued[0]
		f.queued = f.queued[1:]
		cmds = append(cmds, f.formKey(k))
		if f.sh.leaving() {
			f.queued = nil
			break
		}
	}
	return tea.Batch(cmds...)
}
