package wizard

import (
	"charm.land/bubbles/v2/key"
	huh "charm.land/huh/v2"
)

// keyMap is every binding of the wizard, declared once. Screens pick the
// ones that apply, and the help bar is drawn from what they pick.
type keyMap struct {
	Up, Down, Nav, Scroll, PageUp, PageDown key.Binding
	Left, Right, Pan                        key.Binding
	Enter, Back, Help, Quit                 key.Binding

	// form (typing fields: no single-letter keys here)
	FormNext, FormPrev, FormBack, FormHelp, FormQuit, FormPick key.Binding

	// preflight
	Fix, Recheck key.Binding
	// plan / run
	Start, Retry, Edit, Skip, Rotate, Menu, Summary, RunRest key.Binding
	// summary
	Reveal, Copy, Export, WriteSQL, PrintKey key.Binding
	// menu
	Rerun, Transcript, RunAll, Doctor key.Binding

	// quit confirmation
	Yes, No key.Binding
}

func newKeyMap() keyMap {
	b := func(keys []string, k, help string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, help))
	}
	return keyMap{
		Up:       b([]string{"up", "k"}, "↑/k", "up"),
		Down:     b([]string{"down", "j"}, "↓/j", "down"),
		Nav:      b([]string{"up", "down", "k", "j"}, "↑/↓", "select"),
		Scroll:   b([]string{"pgup", "pgdown"}, "pgup/pgdn", "scroll"),
		PageUp:   b([]string{"pgup", "ctrl+u"}, "pgup", "scroll up"),
		PageDown: b([]string{"pgdown", "ctrl+d", "space"}, "pgdn", "scroll down"),
		Left:     b([]string{"left"}, "←", "scroll left"),
		Right:    b([]string{"right"}, "→", "scroll right"),
		Pan:      b([]string{"left", "right"}, "←/→", "see a long line"),
		Enter:    b([]string{"enter"}, "enter", "continue"),
		Back:     b([]string{"esc"}, "esc", "back"),
		Help:     b([]string{"?"}, "?", "keys"),
		Quit:     b([]string{"q", "ctrl+c"}, "q", "quit"),

		FormNext: b([]string{"enter", "tab"}, "enter", "next"),
		FormPrev: b([]string{"shift+tab"}, "shift+tab", "previous"),
		FormBack: b([]string{"esc"}, "esc", "previous page"),
		FormHelp: b([]string{"f1"}, "f1", "keys"),
		FormQuit: b([]string{"ctrl+c"}, "ctrl+c", "quit"),
		// ↑/↓ move between a select's options; on a text field they do
		// nothing, and k/j are letters, so the form never offers them.
		FormPick: b([]string{"up", "down"}, "↑/↓", "choose an option"),

		Fix:     b([]string{"enter"}, "enter", "fix the input"),
		Recheck: b([]string{"r"}, "r", "check again"),

		Start:   b([]string{"enter"}, "enter", "run these steps"),
		Retry:   b([]string{"r"}, "r", "retry"),
		Edit:    b([]string{"e"}, "e", "edit inputs"),
		Skip:    b([]string{"s"}, "s", "skip this step"),
		Rotate:  b([]string{"R"}, "R", "give the client a new secret"),
		Menu:    b([]string{"m"}, "m", "step menu"),
		Summary: b([]string{"enter"}, "enter", "summary"),
		RunRest: b([]string{"a"}, "a", "run the rest"),

		Reveal:   b([]string{"r"}, "r", "reveal/hide key"),
		Copy:     b([]string{"c"}, "c", "copy value"),
		Export:   b([]string{"x"}, "x", "export report"),
		WriteSQL: b([]string{"w"}, "w", "save the SQL"),
		PrintKey: b([]string{"p"}, "p", "print the key on exit"),

		Rerun:      b([]string{"enter"}, "enter", "re-run step"),
		Transcript: b([]string{"t"}, "t", "last transcript"),
		RunAll:     b([]string{"a"}, "a", "run all steps"),
		Doctor:     b([]string{"d"}, "d", "check for drift"),

		Yes: b([]string{"y", "Y", "ctrl+c"}, "y", "yes"),
		No:  b([]string{"n", "N", "esc"}, "n", "no"),
	}
}

// helpKeys adapts a screen's bindings to bubbles/help.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }

// huhKeyMap is huh's default map without its own quit (Ctrl+C belongs to the
// wizard, which asks before abandoning a run) and without select filtering
// (Esc goes back a page).
func huhKeyMap() *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	km.Quit = key.NewBinding(key.WithDisabled())
	km.Select.Filter.SetEnabled(false)
	km.Select.SetFilter.SetEnabled(false)
	km.Select.ClearFilter.SetEnabled(false)
	return km
}
